"""Live explorers: thin ipywidgets front ends over helpers.ops, helpers.shapes and helpers.plots.

Every explorer is a function named *_explorer that builds a working widget with no arguments and
takes keyword arguments to start elsewhere. Each returns an Explorer: its `controls` map names to
widgets, and its `view` is an HTML widget that is redrawn whenever a control moves. An impossible
combination of controls shows, in words, which rule it breaks; the view never shows a traceback.
"""
import ipywidgets as widgets
import torch

from . import plots
from .ops import trans_conv_stamps


class Explorer(widgets.VBox):
    """Controls above an HTML view; `render(**values)` turns the controls' values into the view's HTML."""

    def __init__(self, name, controls, render, rows=None):
        self.name = name
        self.controls = dict(controls)
        self.view = widgets.HTML()
        self._render = render
        rows = rows if rows is not None else [widgets.HBox(list(self.controls.values()))]
        super().__init__(children=[*rows, self.view])
        for control in self.controls.values():
            if hasattr(control, "value"):
                control.observe(self._refresh, names="value")
        self._refresh()

    def _repr_mimebundle_(self, **kwargs):
        # Where no widget front end runs (GitHub, an untrusted notebook, nbconvert) the current view
        # shows as a static figure, and the text form stays one short line.
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["text/html"] = self.view.value
        bundle["text/plain"] = f"{self.name}: live controls {', '.join(self.controls)} (run the notebook to use them)"
        return bundle

    def values(self):
        return {name: c.value for name, c in self.controls.items() if hasattr(c, "value")}

    def _refresh(self, change=None):
        values = self.values()
        if values == getattr(self, "_drawn", None):
            return  # one move can notify several observers; draw each state once
        self._drawn = values
        try:
            self.view.value = self._render(**values)
        except (ValueError, TypeError) as err:
            self.view.value = plots.message_html(str(err))


STYLE = {"description_width": "initial"}


def _sliders(ranges):
    """IntSliders from {name: (value, min, max, label)}, refusing a starting value outside its range."""
    controls = {}
    for name, (value, lo, hi, label) in ranges.items():
        if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
            raise ValueError(f"{name} must be an integer from {lo} to {hi} in this explorer; got {value!r}")
        controls[name] = widgets.IntSlider(value=value, min=lo, max=hi, description=label, style=STYLE)
    return controls



def _seed_linspace():
    return torch.linspace(0, 24, steps=25).reshape(5, 5)


def _random_ints(shape, seed):
    return torch.randint(-3, 4, shape, generator=torch.Generator().manual_seed(seed)).float()


X_PRESETS = {
    "seed [[0, 1], [2, 3]]": lambda: torch.tensor([[0.0, 1.0], [2.0, 3.0]]),
    "seed linspace(0, 24) 5x5": _seed_linspace,
    "ones 3x3": lambda: torch.ones(3, 3),
    "random integers 3x3": lambda: _random_ints((3, 3), 0),
}
K_PRESETS = {
    "seed [[0, 1], [2, 3]]": lambda: torch.tensor([[0.0, 1.0], [2.0, 3.0]]),
    "ones 3x3": lambda: torch.ones(3, 3),
    "ones 2x2": lambda: torch.ones(2, 2),
    "random integers 2x2": lambda: _random_ints((2, 2), 1),
}


class _LoopModel:
    """Cumulative sums of the loop's stamps for one (X, K, stride), computed once and reused while stepping."""

    def __init__(self):
        self._key = None

    def get(self, x_preset, k_preset, stride):
        key = (x_preset, k_preset, stride)
        if key != self._key:
            X, K = X_PRESETS[x_preset](), K_PRESETS[k_preset]()
            stamps = trans_conv_stamps(X, K, stride)
            partial = torch.cat([torch.zeros_like(stamps[:1]), stamps.cumsum(0)])
            self.X, self.K, self.stamps, self.partial = X, K, stamps, partial
            self.lo, self.hi = min(0.0, float(partial.min())), float(partial.max())
            self._key = key
        return self


def loop_explorer(x_preset="seed [[0, 1], [2, 3]]", k_preset="seed [[0, 1], [2, 3]]", stride=1, step=2):
    """Step through the loop one input element at a time: the input cell, its stamp, the partial output.

    Controls: presets for X and K, the stride (1 to 3), and the step (with a Play button); a step past
    the last input element shows the finished output.
    Introduced in 01-transposed-convolution-loop.ipynb.
    """
    for name, value, options in (("x_preset", x_preset, X_PRESETS), ("k_preset", k_preset, K_PRESETS)):
        if value not in options:
            raise ValueError(f"{name} must be one of {list(options)}; got {value!r}")
    if stride not in (1, 2, 3):
        raise ValueError(f"stride must be 1, 2 or 3 in this explorer; got {stride!r}")
    model = _LoopModel()
    n = X_PRESETS[x_preset]().numel()
    x_box = widgets.Dropdown(options=list(X_PRESETS), value=x_preset, description="X", style=STYLE)
    k_box = widgets.Dropdown(options=list(K_PRESETS), value=k_preset, description="K", style=STYLE)
    stride_box = widgets.IntSlider(value=stride, min=1, max=3, description="stride", style=STYLE)
    step_box = widgets.IntSlider(value=min(max(step, 0), n), min=0, max=n, description="step", style=STYLE)
    play = widgets.Play(value=step_box.value, min=0, max=n, interval=900, description="Play")
    widgets.link((play, "value"), (step_box, "value"))

    def on_x(change):
        size = X_PRESETS[change["new"]]().numel()
        play.max = step_box.max = size

    x_box.observe(on_x, names="value")

    def render(x, k, stride, step, play=None):
        return _loop_view(model.get(x, k, stride), stride, step)

    controls = {"x": x_box, "k": k_box, "stride": stride_box, "step": step_box, "play": play}
    rows = [widgets.HBox([x_box, k_box, stride_box]), widgets.HBox([play, step_box])]
    return Explorer("loop_explorer", controls, render, rows)


def _loop_view(m, stride, step):
    h, w = m.X.shape
    kh, kw = m.K.shape
    n = h * w
    step = min(step, n)
    caption = f"Step 0 of {n}: the output starts as zeros."
    x_mark, y_mark = (), ()
    stamp = torch.zeros_like(m.K)
    if step > 0:
        i, j = divmod(step - 1, w)
        r, c = i * stride, j * stride
        x_mark = [(i, j)]
        y_mark = [(r + a, c + b) for a in range(kh) for b in range(kw)]
        stamp = m.X[i, j] * m.K
        caption = (
            f"Step {step} of {n}: X[{i}, {j}] = {plots.fmt(m.X[i, j])} adds {plots.fmt(m.X[i, j])} \u00d7 K "
            f"to Y[{r}:{r + kh}, {c}:{c + kw}]."
        )
        if step == n:
            tconv = torch.nn.functional.conv_transpose2d(m.X[None, None], m.K[None, None], stride=stride)[0, 0]
            caption += (
                f" All stamps added: Y equals F.conv_transpose2d(X, K, stride={stride}): "
                f"{bool(torch.allclose(m.partial[n], tconv))}."
            )
    slo, shi = min(0.0, float(m.stamps.min())), max(1.0, float(m.stamps.max()))
    panels = [
        plots.grid_html(m.X, "input X", "input", highlight=x_mark),
        plots.grid_html(m.K, "kernel K", "kernel"),
        plots.grid_html(stamp, "this stamp", "kernel", slo, shi),
        plots.grid_html(m.partial[step], f"output Y after {step} stamps", "output", m.lo, m.hi, y_mark),
    ]
    return plots.panels_html(panels, caption)


def _counting(shape):
    return torch.arange(1, shape[0] * shape[1] + 1, dtype=torch.get_default_dtype()).reshape(shape)


GRID_PRESETS = {
    "1, 2, 3, ...": _counting,
    "ones": torch.ones,
    "random integers": lambda shape: _random_ints(shape, 2),
}


def parameter_explorer(in_h=3, in_w=3, k_h=3, k_w=3, stride=2, padding=1, output_padding=1, dilation=1,
                       x_preset="1, 2, 3, ...", k_preset="ones", cell="X[1, 1]"):
    """Every parameter of nn.ConvTranspose2d on one grid: sizes, stride, padding, output_padding, dilation.

    Shows the output with its numbers, the uncropped output when padding crops it, the output-size
    formula with the current numbers, the equivalent PyTorch line, and the output cells that the
    chosen input cell writes to. Introduced in 02-padding-stride-and-channels.ipynb.
    """
    ranges = {"in_h": (in_h, 1, 5, "input H"), "in_w": (in_w, 1, 5, "input W"), "k_h": (k_h, 1, 4, "kernel H"),
              "k_w": (k_w, 1, 4, "kernel W"), "stride": (stride, 1, 3, "stride"), "padding": (padding, 0, 3, "padding"),
              "output_padding": (output_padding, 0, 2, "output_padding"), "dilation": (dilation, 1, 3, "dilation")}
    controls = _sliders(ranges)
    for name, value in (("x_preset", x_preset), ("k_preset", k_preset)):
        if value not in GRID_PRESETS:
            raise ValueError(f"{name} must be one of {list(GRID_PRESETS)}; got {value!r}")
    controls["x"] = widgets.Dropdown(options=list(GRID_PRESETS), value=x_preset, description="X", style=STYLE)
    controls["k"] = widgets.Dropdown(options=list(GRID_PRESETS), value=k_preset, description="K", style=STYLE)
    cells = _cell_options(in_h, in_w)
    if cell not in cells:
        raise ValueError(f"cell must be 'none' or an input cell such as 'X[0, 0]'; got {cell!r}")
    controls["cell"] = widgets.Dropdown(options=cells, value=cell, description="show the writes of", style=STYLE)

    def on_size(change):
        choice = controls["cell"]
        keep = choice.value
        options = _cell_options(controls["in_h"].value, controls["in_w"].value)
        choice.options = options
        choice.value = keep if keep in options else "none"

    controls["in_h"].observe(on_size, names="value")
    controls["in_w"].observe(on_size, names="value")
    c = controls
    rows = [
        widgets.HBox([c["in_h"], c["in_w"], c["k_h"], c["k_w"]]),
        widgets.HBox([c["stride"], c["padding"], c["output_padding"], c["dilation"]]),
        widgets.HBox([c["x"], c["k"], c["cell"]]),
    ]
    return Explorer("parameter_explorer", controls, _parameter_view, rows)


def _cell_options(h, w):
    return ["none"] + [f"X[{i}, {j}]" for i in range(h) for j in range(w)]


def _parameter_view(in_h, in_w, k_h, k_w, stride, padding, output_padding, dilation, x, k, cell):
    from .ops import trans_conv
    from .shapes import trans_conv_output_shape

    X, K = GRID_PRESETS[x]((in_h, in_w)), GRID_PRESETS[k]((k_h, k_w))
    args = dict(stride=stride, padding=padding, output_padding=output_padding, dilation=dilation)
    Y = trans_conv(X, K, **args)  # refuses impossible combinations with the rule they break
    full = trans_conv(X, K, stride=stride, output_padding=output_padding, dilation=dilation)
    h_out, w_out = Y.shape
    p = padding
    chosen = [(i, j) for i in range(in_h) for j in range(in_w) if cell == f"X[{i}, {j}]"]
    writes_full = [(i * stride + a * dilation, j * stride + b * dilation)
                   for i, j in chosen for a in range(k_h) for b in range(k_w)]
    writes = [(r - p, q - p) for r, q in writes_full if 0 <= r - p < h_out and 0 <= q - p < w_out]
    lo, hi = min(0.0, float(full.min())), max(1.0, float(full.max()))
    panels = [plots.grid_html(X, "input X", "input", highlight=chosen), plots.grid_html(K, "kernel K", "kernel")]
    if p:
        cropped = [(r, q) for r in range(full.shape[0]) for q in range(full.shape[1])
                   if not (p <= r < p + h_out and p <= q < p + w_out)]
        panels.append(plots.grid_html(full, f"before cropping: padding={p} removes the faded border",
                                      "output", lo, hi, writes_full, cropped, cell_px=min(40, 560 // full.shape[1])))
    panels.append(plots.grid_html(Y, f"output Y: {h_out}x{w_out}", "output", lo, hi, writes))
    caption = ""
    if chosen:
        (i, j), n_taps = chosen[0], k_h * k_w
        caption = (f"{cell} = {plots.fmt(X[i, j])} stamps {n_taps} kernel taps; {len(writes)} land in Y (framed)"
                   + (f", {n_taps - len(writes)} in the cropped border." if len(writes) < n_taps else "."))
    lines = []
    for axis, i_, k_ in (("H", in_h, k_h), ("W", in_w, k_w)):
        o = trans_conv_output_shape(i_, k_, **args)[0]
        lines.append(f"{axis}_out = (i-1)*s - 2*p + d*(k-1) + output_padding + 1 = ({i_}-1)*{stride} - 2*{p} "
                     f"+ {dilation}*({k_}-1) + {output_padding} + 1 = {o}")
    lines.append(f"nn.ConvTranspose2d(1, 1, kernel_size=({k_h}, {k_w}), stride={stride}, padding={p}, "
                 f"output_padding={output_padding}, dilation={dilation}, bias=False)")
    agree = torch.allclose(Y, torch.nn.functional.conv_transpose2d(X[None, None], K[None, None], **args)[0, 0])
    lines.append(f"helpers.trans_conv(X, K, ...) equals F.conv_transpose2d(X, K, ...): {agree}")
    return plots.panels_html(panels, caption, plots.text_html(lines))


def ambiguity_explorer(kernel_size=3, stride=2, padding=1, output_size=4):
    """Which convolution input lengths land on one output length, and the output_padding that recovers each.

    For each length n with conv(n) = output_size, a strip of n cells shows which cells the
    convolution reads (the others, at the end, are never read). Introduced in 02-padding-stride-and-channels.ipynb.
    """
    ranges = {"kernel_size": (kernel_size, 1, 5, "kernel"), "stride": (stride, 1, 4, "stride"),
              "padding": (padding, 0, 3, "padding"), "output_size": (output_size, 1, 6, "conv output length")}
    controls = _sliders(ranges)
    rows = [widgets.HBox(list(controls.values())[:2]), widgets.HBox(list(controls.values())[2:])]
    return Explorer("ambiguity_explorer", controls, _ambiguity_view, rows)


def _ambiguity_view(kernel_size, stride, padding, output_size):
    from .shapes import conv_input_sizes

    k, s, p, o = kernel_size, stride, padding, output_size
    sizes = conv_input_sizes(o, k, s, p)
    read = {t * s + q - p for t in range(o) for q in range(k)}
    rows = []
    for a, n in enumerate(sizes):
        rows.append(
            '<div style="display:flex;align-items:center;margin:4px 0">'
            f'<div style="width:280px;font-size:18px">n = {n}: output_padding = {a}</div>'
            f"{plots.strip_html(n, p, read)}</div>"
        )
    caption = (f"Conv2d(kernel_size={k}, stride={s}, padding={p}) maps every input length in {sizes} to {o}. "
               f"Blue cells are the input (numbered), dashed ones its zero padding; faded cells are never read by any window. "
               f"ConvTranspose2d with the same arguments maps {o} back to {sizes[0]}; output_padding "
               f"(or forward(y, output_size=...)) picks one of the others.")
    return plots.panels_html(['<div data-role="strips">' + "".join(rows) + "</div>"], caption)


def matrix_explorer(size=3, kernel_size=2, stride=1, padding=0, select="conv output (0, 0)"):
    """The convolution matrix W beside the input and output grids; select a row or a column of W.

    A row of W is one output cell of the convolution (the input cells it reads); a column is one input
    cell (the output cells it feeds), which in the transposed convolution W^T y gathers from exactly
    those cells. Introduced in 03-the-matrix-view.ipynb.
    """
    ranges = {"size": (size, 2, 5, "input size"), "kernel_size": (kernel_size, 1, 3, "kernel size"),
              "stride": (stride, 1, 3, "stride"), "padding": (padding, 0, 2, "padding")}
    controls = _sliders(ranges)
    options = _matrix_options(size, kernel_size, stride, padding)
    if select not in options:
        raise ValueError(f"select must be 'none', 'conv output (r, c)' or 'conv input (i, j)' for this size; got {select!r}")
    controls["select"] = widgets.Dropdown(options=options, value=select, description="select", style=STYLE)

    def on_shape(change):
        choice, keep = controls["select"], controls["select"].value
        new = _matrix_options(*(controls[n].value for n in ("size", "kernel_size", "stride", "padding")))
        choice.options = new
        choice.value = keep if keep in new else "none"

    for name in ranges:
        controls[name].observe(on_shape, names="value")
    rows = [widgets.HBox([controls["size"], controls["kernel_size"]]),
            widgets.HBox([controls["stride"], controls["padding"], controls["select"]])]
    return Explorer("matrix_explorer", controls, _matrix_view, rows)


def _matrix_options(size, kernel_size, stride, padding):
    from .shapes import conv_output_shape

    try:
        h_out, w_out = conv_output_shape(size, kernel_size, stride, padding)
    except ValueError:
        h_out = w_out = 0
    return (["none"] + [f"conv output ({r}, {c})" for r in range(h_out) for c in range(w_out)]
            + [f"conv input ({i}, {j})" for i in range(size) for j in range(size)])


def _matrix_view(size, kernel_size, stride, padding, select):
    from .matrix import kernel2matrix
    from .shapes import conv_output_shape

    n, k = size, kernel_size
    K = _counting((k, k))
    W = kernel2matrix(K, (n, n), stride, padding)  # refuses an input smaller than the kernel, in words
    X = _counting((n, n))
    h_out = conv_output_shape(n, k, stride, padding)[0]
    Y = (W @ X.reshape(-1)).reshape(h_out, h_out)
    x_mark, y_mark, w_dim, caption = [], [], [], "Choose a row (conv output) or a column (conv input) of W."
    if select.startswith("conv output"):
        r, c = (int(v) for v in select[select.index("(") + 1:-1].split(","))
        q = r * h_out + c
        x_mark = [divmod(int(col), n) for col in torch.nonzero(W[q]).flatten()]
        y_mark = [(r, c)]
        w_dim = [(a, b) for a in range(W.shape[0]) for b in range(W.shape[1]) if a != q]
        caption = (f"Row {q} of W is conv output ({r}, {c}): it reads the {len(x_mark)} framed input cells (W x gathers). "
                   f"Read as column {q} of W\u1d40, it is the stamp that y[{r}, {c}] adds in the transposed convolution.")
    elif select.startswith("conv input"):
        i, j = (int(v) for v in select[select.index("(") + 1:-1].split(","))
        q = i * n + j
        y_mark = [divmod(int(row), h_out) for row in torch.nonzero(W[:, q]).flatten()]
        x_mark = [(i, j)]
        w_dim = [(a, b) for a in range(W.shape[0]) for b in range(W.shape[1]) if b != q]
        caption = (f"Column {q} of W is conv input ({i}, {j}): it feeds the {len(y_mark)} framed output cells. "
                   f"In the transposed convolution W\u1d40 y, output cell ({i}, {j}) gathers from exactly those cells of y.")
    w_px = max(8, min(30, 520 // max(W.shape)))
    panels = [
        plots.grid_html(X, f"input x: {n}x{n}", "input", highlight=x_mark, cell_px=40),
        plots.grid_html(K, f"kernel K: {k}x{k}", "kernel", cell_px=40),
        plots.grid_html(W, f"W: {W.shape[0]}x{W.shape[1]}", "kernel", 0, float(K.max()), dim=w_dim, cell_px=w_px),
        plots.grid_html(Y, f"output y = W x: {h_out}x{h_out}", "output", highlight=y_mark, cell_px=40),
    ]
    lines = [f"W = helpers.kernel2matrix(K, ({n}, {n}), stride={stride}, padding={padding})",
             f"W @ x equals F.conv2d(x, K, stride={stride}, padding={padding}): "
             f"{torch.equal(Y, torch.nn.functional.conv2d(X[None, None], K[None, None], stride=stride, padding=padding)[0, 0])}"]
    return plots.panels_html(panels, caption, plots.text_html(lines))


EQUIV_X = [[1.0, 2.0], [3.0, 4.0]]
EQUIV_K = [[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [2.0, 0.0, 1.0]]


def equivalent_conv_explorer(stride=2, padding=0, flip=True):
    """The direct convolution that equals a transposed convolution: insert zeros, pad, flip, convolve.

    Untick `flip` to see it fail without the 180-degree rotation of the kernel.
    Introduced in 03-the-matrix-view.ipynb.
    """
    controls = _sliders({"stride": (stride, 1, 3, "stride"), "padding": (padding, 0, 2, "padding")})
    if not isinstance(flip, bool):
        raise TypeError(f"flip must be True or False; got {flip!r}")
    controls["flip"] = widgets.Checkbox(value=flip, description="flip the kernel by 180 degrees", style=STYLE)
    return Explorer("equivalent_conv_explorer", controls, _equivalent_view)


def _equivalent_view(stride, padding, flip):
    from .ops import corr2d, trans_conv

    X, K = torch.tensor(EQUIV_X), torch.tensor(EQUIV_K)
    s, p, k = stride, padding, K.shape[0]
    expected = trans_conv(X, K, stride=s, padding=p)  # refuses padding that crops everything, in words
    Xz = torch.zeros(((X.shape[0] - 1) * s + 1,) * 2)
    Xz[::s, ::s] = X
    q = k - 1 - p
    Xp = torch.nn.functional.pad(Xz, [q] * 4)
    used = K.flip(0, 1) if flip else K
    Y = corr2d(Xp, used)
    originals = [(q + i * s, q + j * s) for i in range(X.shape[0]) for j in range(X.shape[1])]
    lo = min(0.0, float(Y.min()), float(expected.min()))
    hi = max(float(Y.max()), float(expected.max()))
    panels = [
        plots.grid_html(X, "input X", "input", cell_px=40),
        plots.grid_html(Xp, f"{s - 1} zeros between, {q} around", "input", highlight=originals, cell_px=36),
        plots.grid_html(used, "kernel, flipped" if flip else "kernel, not flipped", "kernel", cell_px=40),
        plots.grid_html(Y, "direct convolution", "output", lo, hi, cell_px=36),
        plots.grid_html(expected, "F.conv_transpose2d", "output", lo, hi, cell_px=36),
    ]
    same = torch.equal(Y, expected)
    caption = (f"Insert {s - 1} zero(s) between input elements, pad by k-1-p = {k}-1-{p} = {q}, "
               f"{'flip the kernel, ' if flip else 'do not flip the kernel, '}and convolve with stride 1: "
               f"equal to the transposed convolution: {same}.")
    return plots.panels_html(panels, caption)


CHECKER_INPUT = 8  # side of the constant input in checkerboard_explorer
CHECKER_VIEW = 24  # the explorer shows at most this many central rows and columns


def checkerboard_explorer(stride=2, kernel_size=3, layers=1, kernel="ones"):
    """Uneven overlap, live: how many stamps land on each output cell, and what a constant input becomes.

    `layers` stacked transposed convolutions (same kernel size and stride) upsample a constant 8x8 input.
    Introduced in 04-checkerboard-artifacts.ipynb.
    """
    controls = _sliders({"stride": (stride, 1, 3, "stride"), "kernel_size": (kernel_size, 1, 5, "kernel size"),
                         "layers": (layers, 1, 3, "layers")})
    if kernel not in CHECKER_KERNELS:
        raise ValueError(f"kernel must be one of {list(CHECKER_KERNELS)}; got {kernel!r}")
    controls["kernel"] = widgets.Dropdown(options=list(CHECKER_KERNELS), value=kernel, description="kernel weights",
                                          style=STYLE)
    return Explorer("checkerboard_explorer", controls, _checkerboard_view)


CHECKER_KERNELS = {
    "ones": lambda k: torch.ones(k, k, dtype=torch.float64),
    "random positive": lambda k: torch.rand(k, k, generator=torch.Generator().manual_seed(k), dtype=torch.float64) + 0.5,
}


def _checkerboard_view(stride, kernel_size, layers, kernel):
    from .ops import interior, overlap_counts

    counts = overlap_counts(CHECKER_INPUT, kernel_size, stride, layers)
    K = CHECKER_KERNELS[kernel](kernel_size)[None, None]
    Y = torch.ones((1, 1, CHECKER_INPUT, CHECKER_INPUT), dtype=torch.float64)
    for _ in range(layers):
        Y = torch.nn.functional.conv_transpose2d(Y, K, stride=stride)
    Y = Y[0, 0]
    margin = kernel_size * stride ** (layers - 1)
    inner_counts, inner_y = interior(counts, margin), interior(Y, margin)
    n = counts.shape[0]
    start = max(0, (n - CHECKER_VIEW) // 2)
    crop = slice(start, start + min(n, CHECKER_VIEW))
    px = max(14, min(34, 560 // min(n, CHECKER_VIEW)))
    lo, hi = float(inner_counts.min()), float(inner_counts.max())
    shown = f"central {min(n, CHECKER_VIEW)}x{min(n, CHECKER_VIEW)} of {n}x{n}" if n > CHECKER_VIEW else f"{n}x{n}"
    panels = [
        plots.grid_html(counts[crop, crop], f"stamps per cell ({shown})", "output", cell_px=px),
        plots.grid_html(Y[crop, crop].round(decimals=1), "output of a constant input", "output", cell_px=px,
                        numbers=False),
    ]
    if lo == hi:
        verdict = "even: every interior cell receives the same number of stamps"
    elif lo == 0:
        verdict = f"uneven: the kernel is smaller than the stride, so some cells receive no stamp (0 to {hi:g})"
    else:
        verdict = f"uneven: interior cells receive {lo:g} to {hi:g} stamps, a ratio of {hi / lo:g}"
    lines = [f"kernel_size % stride = {kernel_size} % {stride} = {kernel_size % stride}; {layers} layer(s)",
             f"overlap {verdict}",
             f"constant input: interior output from {float(inner_y.min()):.2f} to {float(inner_y.max()):.2f}"]
    return plots.panels_html(panels, "", plots.text_html(lines))


FACE = (slice(14, 62), slice(28, 76))  # a 48x48 crop of the sample image around the face


def upsampling_explorer(method="transposed conv, bilinear kernel", factor=2):
    """Downsample the sample photograph by `factor`, upsample it back with `method`: a crop of each,
    and the difference from the original. Introduced in 05-upsampling-in-practice.ipynb."""
    from .upsampling import METHODS

    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}")
    if factor not in (2, 4):
        raise ValueError(f"factor must be 2 or 4; got {factor!r}")
    controls = {
        "method": widgets.Dropdown(options=METHODS, value=method, description="method", style=STYLE,
                                   layout=widgets.Layout(width="420px")),
        "factor": widgets.SelectionSlider(options=[2, 4], value=factor, description="factor", style=STYLE),
    }
    return Explorer("upsampling_explorer", controls, _upsampling_view)


_IMAGE = {}


def _upsampling_view(method, factor):
    from .upsampling import psnr, sample_image, upsample

    if "x" not in _IMAGE:
        _IMAGE["x"] = sample_image()
    x = _IMAGE["x"]
    low = torch.nn.functional.avg_pool2d(x[None, None], factor)[0, 0]
    y = upsample(low, method, factor)
    diff = (y - x).abs()
    rows, cols = FACE
    low_crop = low[rows.start // factor:rows.stop // factor, cols.start // factor:cols.stop // factor]
    panels = [
        plots.image_html(low_crop, f"input, 1/{factor} size", "input", scale=4 * factor),
        plots.image_html(y[rows, cols], "upsampled", "output"),
        plots.image_html(x[rows, cols], "original", "kernel"),
        plots.image_html(diff[rows, cols], "|upsampled - original|, 0 to 0.25", "output", 0.0, 0.25, colored=True),
    ]
    lines = [f"whole image {tuple(x.shape)}: PSNR {psnr(x, y):.1f} dB, max |difference| {float(diff.max()):.2f}",
             f"upsample(avg_pool2d(x, {factor}), {method!r}, {factor})"]
    return plots.panels_html(panels, "", plots.text_html(lines))
