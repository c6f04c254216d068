"""Live explorers: anywidget widgets whose ES modules compute and draw in the page.

Every explorer is a function named *_explorer that builds a working widget with no arguments and
takes keyword arguments to start elsewhere. Each returns an Explorer, an anywidget widget: its
traits are the controls' values, its front end (helpers/explorers/NAME.js, with maths.js and ui.js)
computes every grid in the browser, so a move never waits for Python. The Python side checks the
starting values (a clear error naming the parameter), and draws the same view as a static HTML
snapshot for places with no widget front end (GitHub, an untrusted notebook, nbval) and for tests.
A value that breaks a rule, set from a control or from code, shows the rule in words, never a
traceback.
"""
import json
import re
from numbers import Integral, Real
from pathlib import Path
from typing import ClassVar

import anywidget
import torch
import traitlets

from . import plots
from .ops import spread_zeros, trans_conv_stamps
from .shapes import trans_conv_output_shape
from .upsampling import METHODS

MODULES = Path(__file__).resolve().parent / "explorers"


def _module(name):
    """One explorer's ES module: maths.js, ui.js and NAME.js in one text (anywidget loads one)."""
    parts = []
    for file in ("maths.js", "ui.js", f"{name}.js"):
        text = (MODULES / file).read_text(encoding="utf-8")
        parts.append(
            re.sub(r'^import \{[^}]*\} from "\./\w+\.js";\n', "", text, flags=re.MULTILINE)
        )
    return "\n".join(parts)


def _range(lo, hi, label, step=1):
    return {"kind": "range", "min": lo, "max": hi, "step": step, "label": label}


def _choice(options, label):
    return {"kind": "select", "options": list(options), "label": label}


def _toggle(label):
    return {"kind": "checkbox", "label": label}


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _plain(value):
    """A control value as JSON can carry it (numbers, strings, booleans, None), else its repr."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        return float(value) if float(value) == float(value) else repr(value)  # NaN: not JSON
    return repr(value)


class Control:
    """One control seen from Python: `value` reads and sets the trait; `options`, `min`, `max`
    as they are now."""

    def __init__(self, explorer, name):
        self._explorer, self.name = explorer, name

    @property
    def spec(self):
        e = self._explorer
        return {**e.CONTROLS[self.name], **e.live(e.values()).get(self.name, {})}

    @property
    def value(self):
        return getattr(self._explorer, self.name)

    @value.setter
    def value(self, v):
        setattr(self._explorer, self.name, v)

    options = property(lambda self: self.spec.get("options"))
    min = property(lambda self: self.spec.get("min"))
    max = property(lambda self: self.spec.get("max"))
    step = property(lambda self: self.spec.get("step", 1))


class Snapshot:
    """The explorer's current view as static HTML (`value`), drawn by Python for this state."""

    def __init__(self, explorer):
        self._explorer = explorer

    @property
    def value(self):
        return self._explorer.snapshot()


class Explorer(anywidget.AnyWidget):
    """Controls and a view computed in the page; subclasses set CONTROLS, _esm, render and _data.

    CONTROLS maps each control's name (a synced trait) to its spec: a range (integers min..max), a
    select (options) or a checkbox. `live(values)` overrides specs that follow other controls (the
    options of a select, the max of a range); `adjust(values)` returns the values that follow a
    move.
    """

    _name = traitlets.Unicode("").tag(sync=True)
    _controls = traitlets.List().tag(sync=True)
    _data = traitlets.Dict().tag(sync=True)
    _css = """
.tc-explorer .tc-controls { display: flex; flex-wrap: wrap; gap: 6px 22px; margin: 4px 0 8px; \
font: 15px sans-serif; }
.tc-explorer label { display: inline-flex; align-items: center; gap: 6px; }
.tc-explorer input[type=range] { width: 130px; }
.tc-explorer output { min-width: 1.5em; font-weight: bold; }
"""
    CONTROLS: ClassVar[dict] = {}
    NAME = "explorer"

    def __init__(self, **values):
        values = {name: _plain(v) for name, v in values.items()}
        rule = self.problem(values)
        if rule:
            raise (TypeError if " must be True or False" in rule else ValueError)(rule)
        super().__init__(
            **values,
            _name=self.NAME,
            _controls=[{"name": n, **s} for n, s in self.CONTROLS.items()],
            _data=self.data(),
        )
        self.controls = {name: Control(self, name) for name in self.CONTROLS}
        self.view = Snapshot(self)
        self.observe(self._follow, names=list(self.CONTROLS))
        self._cache = (None, "")

    def data(self):
        """What the page needs besides the controls (presets, a picture): JSON, sent once."""
        return {}

    def live(self, values):
        return {}

    def adjust(self, values):
        return {}

    def values(self):
        return {name: getattr(self, name) for name in self.CONTROLS}

    def problem(self, values):
        """The rule a control value breaks, in words, or None when every value is allowed."""
        live = self.live(values)
        for name, spec in self.CONTROLS.items():
            spec, v = {**spec, **live.get(name, {})}, values.get(name)
            if spec["kind"] == "range":
                lo, hi, step = spec["min"], spec["max"], spec.get("step", 1)
                if not (_is_int(v) and lo <= v <= hi and (v - lo) % step == 0):
                    if step > 1:
                        allowed = list(range(lo, hi + 1, step))
                        return f"{name} must be one of {allowed} in this explorer; got {v!r}"
                    return (
                        f"{name} must be an integer from {lo} to {hi} in this explorer; got {v!r}"
                    )
            elif spec["kind"] == "select" and (
                not isinstance(v, (str, int)) or v not in spec["options"] or isinstance(v, bool)
            ):
                return f"{name} must be one of {spec['options']}; got {v!r}"
            elif spec["kind"] == "checkbox" and not isinstance(v, bool):
                return f"{name} must be True or False; got {v!r}"
        return None

    def _follow(self, change):
        """Keep dependent values in step (a cell that left the grid, a step past the end); never
        raises."""
        try:
            for name, v in self.adjust(self.values()).items():
                setattr(self, name, v)
        except Exception:  # noqa: BLE001, S110 - an observer must never raise; the view shows the rule instead
            pass

    def snapshot(self):
        """The view for the current values as HTML: the grids, or the rule a value breaks."""
        values = self.values()
        key = json.dumps(values, sort_keys=True, default=repr)
        if self._cache[0] != key:
            rule = self.problem(values)
            if rule:
                html = plots.message_html(rule)
            else:
                try:
                    html = self.render(**values)
                except (ValueError, TypeError) as err:
                    html = plots.message_html(str(err))
            self._cache = (key, html)
        return self._cache[1]

    def render(self, **values):
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs):
        # Where no widget front end runs (GitHub, an untrusted notebook, nbconvert) the snapshot
        # shows as a static figure, and the text form stays one short line.
        data, metadata = super()._repr_mimebundle_(**kwargs)
        data["text/html"] = self.snapshot()
        data["text/plain"] = (
            f"{self.NAME}: live controls {', '.join(self.CONTROLS)} (run the notebook to use them)"
        )
        return data, metadata


class Value(traitlets.Any):
    """A control's value: anything can be set (the view names the rule it breaks); JSON-plain."""

    def validate(self, obj, value):
        return _plain(value)


def _value():
    return Value(None).tag(sync=True)


def _linspace_5x5():
    return torch.linspace(0, 24, steps=25).reshape(5, 5)


def _random_ints(shape, seed):
    return torch.randint(-3, 4, shape, generator=torch.Generator().manual_seed(seed)).float()


X_PRESETS = {
    "d2l's [[0, 1], [2, 3]]": lambda: torch.tensor([[0.0, 1.0], [2.0, 3.0]]),
    "0 to 24, 5x5": _linspace_5x5,
    "ones 3x3": lambda: torch.ones(3, 3),
    "random integers 3x3": lambda: _random_ints((3, 3), 0),
}
K_PRESETS = {
    "d2l's [[0, 1], [2, 3]]": lambda: torch.tensor([[0.0, 1.0], [2.0, 3.0]]),
    "ones 3x3": lambda: torch.ones(3, 3),
    "ones 2x2": lambda: torch.ones(2, 2),
    "random integers 2x2": lambda: _random_ints((2, 2), 1),
}


class LoopExplorer(Explorer):
    """loop_explorer's widget: X and K presets, the stride, and the step of the loop."""

    NAME = "loop_explorer"
    _esm = _module("loop")
    CONTROLS: ClassVar[dict] = {
        "x": _choice(X_PRESETS, "X"),
        "k": _choice(K_PRESETS, "K"),
        "stride": _range(1, 3, "stride"),
        "step": _range(0, 25, "step"),
    }
    x, k, stride, step = _value(), _value(), _value(), _value()

    def data(self):
        return {"x_presets": {n: f().tolist() for n, f in X_PRESETS.items()},
                "k_presets": {n: f().tolist() for n, f in K_PRESETS.items()}}

    def live(self, values):
        x = values.get("x")
        return {
            "step": {"max": X_PRESETS[x]().numel() if isinstance(x, str) and x in X_PRESETS else 0}
        }

    def adjust(self, values):
        n = self.live(values)["step"]["max"]
        return {"step": n} if n and _is_int(values["step"]) and values["step"] > n else {}

    def render(self, x, k, stride, step):
        return _loop_view(X_PRESETS[x](), K_PRESETS[k](), stride, step)


def loop_explorer(
    x_preset="d2l's [[0, 1], [2, 3]]", k_preset="d2l's [[0, 1], [2, 3]]", stride=1, step=2
):
    """Step through the loop one input element at a time: the cell, its stamp, the partial output.

    Controls: presets for X and K, the stride (1 to 3), and the step (0 to the number of input
    elements, with a Play button); the last step shows the finished output.
    Introduced in 01-transposed-convolution-loop.ipynb.
    """
    return LoopExplorer(x=x_preset, k=k_preset, stride=stride, step=step)


def _loop_view(X, K, stride, step):
    h, w = X.shape
    kh, kw = K.shape
    n = h * w
    stamps = trans_conv_stamps(X, K, stride)
    partial = torch.cat([torch.zeros_like(stamps[:1]), stamps.cumsum(0)])
    lo, hi = min(0.0, float(partial.min())), float(partial.max())
    caption = f"Step 0 of {n}: the output starts as zeros."
    x_mark, y_mark = (), ()
    stamp = torch.zeros_like(K)
    if step > 0:
        i, j = divmod(step - 1, w)
        r, c = i * stride, j * stride
        x_mark = [(i, j)]
        y_mark = [(r + a, c + b) for a in range(kh) for b in range(kw)]
        stamp = X[i, j] * K
        caption = (
            f"Step {step} of {n}: X[{i}, {j}] = {plots.fmt(X[i, j])} adds {plots.fmt(X[i, j])} "
            f"\u00d7 K to Y[{r}:{r + kh}, {c}:{c + kw}]."
        )
        if step == n:
            tconv = torch.nn.functional.conv_transpose2d(
                X[None, None], K[None, None], stride=stride
            )[0, 0]
            verb = "equals" if torch.allclose(partial[n], tconv) else "differs from"
            caption += f" All stamps added: Y {verb} F.conv_transpose2d(X, K, stride={stride})."
    slo, shi = min(0.0, float(stamps.min())), max(1.0, float(stamps.max()))
    panels = [
        plots.grid_html(X, "input X", "input", highlight=x_mark),
        plots.grid_html(K, "kernel K", "kernel"),
        plots.grid_html(stamp, "this stamp", "kernel", slo, shi),
        plots.grid_html(partial[step], f"output Y after {step} stamps", "output", lo, hi, y_mark),
    ]
    return plots.panels_html(panels, caption)


def _counting(shape):
    return torch.arange(1, shape[0] * shape[1] + 1, dtype=torch.get_default_dtype()).reshape(shape)


RANDOM_5x5 = _random_ints((5, 5), 2)  # "random integers" grids are its top-left corner
GRID_PRESETS = {
    "1, 2, 3, ...": _counting,
    "ones": torch.ones,
    "random integers": lambda shape: RANDOM_5x5[:shape[0], :shape[1]].clone(),
}


def _cell_options(h, w):
    h, w = (h if _is_int(h) and 1 <= h <= 5 else 0), (w if _is_int(w) and 1 <= w <= 5 else 0)
    return ["none"] + [f"X[{i}, {j}]" for i in range(h) for j in range(w)]


class ParameterExplorer(Explorer):
    """parameter_explorer's widget: sizes, stride, padding, output_padding, dilation, presets,
    a cell."""

    NAME = "parameter_explorer"
    _esm = _module("parameter")
    CONTROLS: ClassVar[dict] = {
        "in_h": _range(1, 5, "input H"),
        "in_w": _range(1, 5, "input W"),
        "k_h": _range(1, 4, "kernel H"),
        "k_w": _range(1, 4, "kernel W"),
        "stride": _range(1, 3, "stride"),
        "padding": _range(0, 3, "padding"),
        "output_padding": _range(0, 2, "output_padding"),
        "dilation": _range(1, 3, "dilation"),
        "x": _choice(GRID_PRESETS, "X"),
        "k": _choice(GRID_PRESETS, "K"),
        "cell": _choice(["none"], "show the writes of"),
    }
    in_h, in_w, k_h, k_w, stride, padding, output_padding, dilation = (_value() for _ in range(8))
    x, k, cell = _value(), _value(), _value()

    def data(self):
        return {"random": RANDOM_5x5.tolist()}

    def live(self, values):
        return {"cell": {"options": _cell_options(values.get("in_h"), values.get("in_w"))}}

    def adjust(self, values):
        options = self.live(values)["cell"]["options"]  # just "none" while a size is not valid
        return {"cell": "none"} if len(options) > 1 and values["cell"] not in options else {}

    def render(self, **values):
        return _parameter_view(**values)


def parameter_explorer(in_h=3, in_w=3, k_h=3, k_w=3, stride=2, padding=1, output_padding=1,
                       dilation=1, x_preset="1, 2, 3, ...", k_preset="ones", cell="X[1, 1]"):
    """Every parameter of nn.ConvTranspose2d on one grid: sizes, stride, padding, output_padding,
    dilation.

    Shows the output with its numbers, the uncropped output when padding crops it, the output-size
    formula with the current numbers, the equivalent PyTorch line, and the output cells that the
    chosen input cell writes to. Introduced in 02-padding-stride-and-channels.ipynb.
    """
    return ParameterExplorer(in_h=in_h, in_w=in_w, k_h=k_h, k_w=k_w, stride=stride, padding=padding,
                             output_padding=output_padding, dilation=dilation, x=x_preset,
                             k=k_preset, cell=cell)


def _parameter_view(in_h, in_w, k_h, k_w, stride, padding, output_padding, dilation, x, k, cell):
    from .ops import trans_conv

    X, K = GRID_PRESETS[x]((in_h, in_w)), GRID_PRESETS[k]((k_h, k_w))
    args = {
        "stride": stride,
        "padding": padding,
        "output_padding": output_padding,
        "dilation": dilation,
    }
    Y = trans_conv(X, K, **args)  # refuses impossible combinations with the rule they break
    full = trans_conv(X, K, stride=stride, output_padding=output_padding, dilation=dilation)
    h_out, w_out = Y.shape
    p = padding
    chosen = [(i, j) for i in range(in_h) for j in range(in_w) if cell == f"X[{i}, {j}]"]
    writes_full = [(i * stride + a * dilation, j * stride + b * dilation)
                   for i, j in chosen for a in range(k_h) for b in range(k_w)]
    writes = [(r - p, q - p) for r, q in writes_full if 0 <= r - p < h_out and 0 <= q - p < w_out]
    lo, hi = min(0.0, float(full.min())), max(1.0, float(full.max()))
    panels = [
        plots.grid_html(X, "input X", "input", highlight=chosen),
        plots.grid_html(K, "kernel K", "kernel"),
    ]
    if p:
        cropped = [(r, q) for r in range(full.shape[0]) for q in range(full.shape[1])
                   if not (p <= r < p + h_out and p <= q < p + w_out)]
        title = f"before cropping: padding={p} removes the faded border"
        px = min(40, 560 // full.shape[1])
        panels.append(plots.grid_html(full, title, "output", lo, hi, writes_full, cropped, px))
    panels.append(plots.grid_html(Y, f"output Y: {h_out}x{w_out}", "output", lo, hi, writes))
    caption = ""
    if chosen:
        (i, j), n_taps = chosen[0], k_h * k_w
        caption = (
            f"{cell} = {plots.fmt(X[i, j])} stamps {n_taps} kernel taps; "
            f"{len(writes)} land in Y (framed)"
            + (f", {n_taps - len(writes)} in the cropped border." if len(writes) < n_taps else ".")
        )
    lines = []
    for axis, i_, k_ in (("H", in_h, k_h), ("W", in_w, k_w)):
        o = trans_conv_output_shape(i_, k_, **args)[0]
        lines.append(
            f"{axis}_out = (i-1)*s - 2*p + d*(k-1) + output_padding + 1 = ({i_}-1)*{stride} - "
            f"2*{p} + {dilation}*({k_}-1) + {output_padding} + 1 = {o}"
        )
    lines.append(
        f"nn.ConvTranspose2d(1, 1, kernel_size=({k_h}, {k_w}), stride={stride}, padding={p}, "
        f"output_padding={output_padding}, dilation={dilation}, bias=False)"
    )
    return plots.panels_html(panels, caption, plots.text_html(lines))


class AmbiguityExplorer(Explorer):
    """ambiguity_explorer's widget: kernel size, stride, padding and the conv output length."""

    NAME = "ambiguity_explorer"
    _esm = _module("ambiguity")
    CONTROLS: ClassVar[dict] = {
        "kernel_size": _range(1, 5, "kernel"),
        "stride": _range(1, 4, "stride"),
        "padding": _range(0, 3, "padding"),
        "output_size": _range(1, 6, "conv output length"),
    }
    kernel_size, stride, padding, output_size = _value(), _value(), _value(), _value()

    def render(self, **values):
        return _ambiguity_view(**values)


def ambiguity_explorer(kernel_size=3, stride=2, padding=1, output_size=4):
    """Which convolution input lengths land on one output length, and the output_padding that
    recovers each.

    For each length n with conv(n) = output_size, a strip of n cells shows which cells the
    convolution reads (the others, at the end, are never read).
    Introduced in 02-padding-stride-and-channels.ipynb.
    """
    return AmbiguityExplorer(
        kernel_size=kernel_size, stride=stride, padding=padding, output_size=output_size
    )


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
    caption = (
        f"Conv2d(kernel_size={k}, stride={s}, padding={p}) maps every input length in {sizes} to "
        f"{o}. Blue cells are the input (numbered), dashed ones its zero padding; faded cells are "
        f"never read by any window. ConvTranspose2d with the same arguments maps {o} back to "
        f"{sizes[0]}; output_padding (or forward(y, output_size=...)) picks one of the others."
    )
    return plots.panels_html(['<div data-role="strips">' + "".join(rows) + "</div>"], caption)


MATRIX_SHOW = ["W and W x", "W\u1d40 and W\u1d40 y"]


def _matrix_options(size, kernel_size, stride, padding):
    from .shapes import conv_output_shape

    if not (_is_int(size) and 2 <= size <= 5 and _is_int(kernel_size) and 1 <= kernel_size <= 3
            and _is_int(stride) and 1 <= stride <= 3 and _is_int(padding) and 0 <= padding <= 2):
        return ["none"]
    try:
        h_out, w_out = conv_output_shape(size, kernel_size, stride, padding)
    except ValueError:
        h_out = w_out = 0
    return (["none"] + [f"conv output ({r}, {c})" for r in range(h_out) for c in range(w_out)]
            + [f"conv input ({i}, {j})" for i in range(size) for j in range(size)])


class MatrixExplorer(Explorer):
    """matrix_explorer's widget: input size, kernel size, stride, padding, a row or column, W or
    W^T."""

    NAME = "matrix_explorer"
    _esm = _module("matrix")
    CONTROLS: ClassVar[dict] = {
        "size": _range(2, 5, "input size"),
        "kernel_size": _range(1, 3, "kernel size"),
        "stride": _range(1, 3, "stride"),
        "padding": _range(0, 2, "padding"),
        "select": _choice(["none"], "select"),
        "show": _choice(MATRIX_SHOW, "show"),
    }
    size, kernel_size, stride, padding, select, show = (_value() for _ in range(6))

    def live(self, values):
        names = ("size", "kernel_size", "stride", "padding")
        return {"select": {"options": _matrix_options(*(values.get(n) for n in names))}}

    def adjust(self, values):
        options = self.live(values)["select"]["options"]  # just "none" while a size is not valid
        return {"select": "none"} if len(options) > 1 and values["select"] not in options else {}

    def render(self, **values):
        return _matrix_view(**values)


def matrix_explorer(
    size=3, kernel_size=2, stride=1, padding=0, select="conv output (0, 0)", show=MATRIX_SHOW[0]
):
    """The convolution matrix W beside the input and output grids; select a row or a column of W.

    A row of W is one output cell of the convolution (the input cells it reads); a column is one
    input cell (the output cells it feeds). `show` switches to W^T and W^T y, the transposed
    convolution, which gathers from exactly those cells. Introduced in 03-the-matrix-view.ipynb.
    """
    return MatrixExplorer(
        size=size, kernel_size=kernel_size, stride=stride, padding=padding, select=select, show=show
    )


def _matrix_view(size, kernel_size, stride, padding, select, show):
    from .matrix import kernel2matrix, recovering_output_padding
    from .shapes import conv_output_shape

    n, k, s, p = size, kernel_size, stride, padding
    K = _counting((k, k))
    W = kernel2matrix(K, (n, n), s, p)  # refuses an input smaller than the kernel, in words
    h = conv_output_shape(n, k, s, p)[0]
    transposed = show == MATRIX_SHOW[1]
    X, y = _counting((n, n)), _counting((h, h))
    x_mark, y_mark, w_dim = [], [], []
    caption = "Choose a row (conv output) or a column (conv input) of W."
    rows_w, cols_w = W.shape

    def dim_except(keep_row, keep_col):
        rows, cols = (cols_w, rows_w) if transposed else (rows_w, cols_w)
        return [
            (a, b)
            for a in range(rows)
            for b in range(cols)
            if (keep_row is not None and a != keep_row) or (keep_col is not None and b != keep_col)
        ]

    if select != "none":
        u, v = (int(t) for t in select[select.index("(") + 1:-1].split(","))
    if select.startswith("conv output"):
        q = u * h + v
        x_mark = [divmod(int(col), n) for col in torch.nonzero(W[q]).flatten()]
        y_mark = [(u, v)]
        if transposed:
            w_dim = dim_except(None, q)
            caption = (
                f"Column {q} of W\u1d40 is the stamp of y[{u}, {v}]: W\u1d40 y adds y[{u}, {v}] "
                f"\u00d7 K to the {len(x_mark)} framed output cells, the cells that conv output "
                f"({u}, {v}) reads (row {q} of W)."
            )
        else:
            w_dim = dim_except(q, None)
            caption = (
                f"Row {q} of W is conv output ({u}, {v}): it reads the {len(x_mark)} framed input "
                f"cells (W x gathers). Read as column {q} of W\u1d40, it is the stamp that "
                f"y[{u}, {v}] adds in the transposed convolution."
            )
    elif select.startswith("conv input"):
        q = u * n + v
        y_mark = [divmod(int(row), h) for row in torch.nonzero(W[:, q]).flatten()]
        x_mark = [(u, v)]
        if transposed:
            w_dim = dim_except(q, None)
            caption = (
                f"Row {q} of W\u1d40 is output cell ({u}, {v}) of W\u1d40 y: it gathers from the "
                f"{len(y_mark)} framed cells of y, the cells that conv input ({u}, {v}) feeds "
                f"(column {q} of W)."
            )
        else:
            w_dim = dim_except(None, q)
            caption = (
                f"Column {q} of W is conv input ({u}, {v}): it feeds the {len(y_mark)} framed "
                f"output cells. In the transposed convolution W\u1d40 y, output cell ({u}, {v}) "
                "gathers from exactly those cells of y."
            )
    M = W.T if transposed else W
    w_px = max(8, min(30, 520 // max(W.shape)))
    name = "W\u1d40" if transposed else "W"
    title = f"{name}: {M.shape[0]}x{M.shape[1]}"
    matrix = plots.grid_html(M, title, "kernel", 0, float(K.max()), dim=w_dim, cell_px=w_px)
    kernel = plots.grid_html(K, f"kernel K: {k}x{k}", "kernel", cell_px=40)
    lines = [f"W = helpers.kernel2matrix(K, ({n}, {n}), stride={s}, padding={p})"]
    F = torch.nn.functional
    if transposed:
        op = recovering_output_padding((n, n), k, s, p)[0]
        Wty = (W.T @ y.reshape(-1)).reshape(n, n)
        tconv = F.conv_transpose2d(y[None, None], K[None, None], stride=s, padding=p,
                                   output_padding=op)
        same = torch.equal(Wty, tconv[0, 0])
        panels = [
            plots.grid_html(y, f"input y: {h}x{h}", "input", highlight=y_mark, cell_px=40),
            kernel,
            matrix,
            plots.grid_html(
                Wty, f"output W\u1d40 y: {n}x{n}", "output", highlight=x_mark, cell_px=40
            ),
        ]
        lines.append(
            f"W\u1d40 @ y {'equals' if same else 'differs from'} F.conv_transpose2d(y, K, "
            f"stride={s}, padding={p}, output_padding={op})"
        )
    else:
        Wx = (W @ X.reshape(-1)).reshape(h, h)
        same = torch.equal(Wx, F.conv2d(X[None, None], K[None, None], stride=s, padding=p)[0, 0])
        panels = [
            plots.grid_html(X, f"input x: {n}x{n}", "input", highlight=x_mark, cell_px=40),
            kernel,
            matrix,
            plots.grid_html(Wx, f"output y = W x: {h}x{h}", "output", highlight=y_mark, cell_px=40),
        ]
        lines.append(
            f"W @ x {'equals' if same else 'differs from'} F.conv2d(x, K, stride={s}, padding={p})"
        )
    return plots.panels_html(panels, caption, plots.text_html(lines))


EQUIV_X = [[1.0, 2.0], [3.0, 4.0]]
EQUIV_K = [[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [2.0, 0.0, 1.0]]


class EquivalentConvExplorer(Explorer):
    """equivalent_conv_explorer's widget: stride, padding, and whether the kernel is flipped."""

    NAME = "equivalent_conv_explorer"
    _esm = _module("equivalent_conv")
    CONTROLS: ClassVar[dict] = {
        "stride": _range(1, 3, "stride"),
        "padding": _range(0, 2, "padding"),
        "flip": _toggle("flip the kernel by 180 degrees"),
    }
    stride, padding, flip = _value(), _value(), _value()

    def data(self):
        return {"x": EQUIV_X, "k": EQUIV_K}

    def render(self, **values):
        return _equivalent_view(**values)


def equivalent_conv_explorer(stride=2, padding=0, flip=True):
    """The direct convolution equal to a transposed convolution: insert zeros, pad, flip, convolve.

    Untick `flip` to see it fail without the 180-degree rotation of the kernel.
    Introduced in 03-the-matrix-view.ipynb.
    """
    return EquivalentConvExplorer(stride=stride, padding=padding, flip=flip)


def _equivalent_view(stride, padding, flip):
    from .ops import corr2d, trans_conv

    X, K = torch.tensor(EQUIV_X), torch.tensor(EQUIV_K)
    s, p, k = stride, padding, K.shape[0]
    # trans_conv refuses a padding that crops everything, with the rule in words
    expected = trans_conv(X, K, stride=s, padding=p)
    Xz = spread_zeros(X, s)
    q = k - 1 - p
    Xp = torch.nn.functional.pad(Xz, [q] * 4)
    used = K.flip(0, 1) if flip else K
    Y = corr2d(Xp, used)
    originals = [(q + i * s, q + j * s) for i in range(X.shape[0]) for j in range(X.shape[1])]
    lo = min(0.0, float(Y.min()), float(expected.min()))
    hi = max(float(Y.max()), float(expected.max()))
    panels = [
        plots.grid_html(X, "input X", "input", cell_px=40),
        plots.grid_html(
            Xp, f"{_zeros(s - 1)} between, {q} around", "input", highlight=originals, cell_px=36
        ),
        plots.grid_html(
            used, "kernel, flipped" if flip else "kernel, not flipped", "kernel", cell_px=40
        ),
        plots.grid_html(Y, "direct convolution", "output", lo, hi, cell_px=36),
        plots.grid_html(expected, "transposed convolution", "output", lo, hi, cell_px=36),
    ]
    same = Y.shape == expected.shape and torch.equal(Y, expected)
    caption = (
        f"Insert {_zeros(s - 1)} between input elements, pad by k-1-p = {k}-1-{p} = {q}, "
        f"{'flip the kernel, ' if flip else 'do not flip the kernel, '}and convolve with stride 1: "
        f"{'the result equals' if same else 'the result differs from'} the transposed convolution."
    )
    return plots.panels_html(panels, caption)


def _zeros(n):
    return f"{n} zero" if n == 1 else f"{n} zeros"


CHECKER_INPUT = 8  # smallest side of the constant input in checkerboard_explorer
CHECKER_VIEW = 16
"""The explorer shows at most this many central rows and columns (legible, quick to draw)."""


def checker_geometry(kernel_size, stride, layers):
    """(input side, margin) for checkerboard_explorer: cells within `margin` of the border feel the
    edges (each layer widens the edge by k input cells, s times over), and the input (at least 8x8)
    is large enough that some interior is left."""
    margin = kernel_size * sum(stride ** layer for layer in range(layers))
    side = CHECKER_INPUT
    while True:
        n = side
        for _ in range(layers):
            n = trans_conv_output_shape(n, kernel_size, stride)[0]
        if n > 2 * margin:
            return side, margin
        side += 1


def phase_counts(kernel_size, stride):
    """How many taps of a length-k kernel fall on each phase r = t mod s, for r = 0 .. s-1."""
    k, s = kernel_size, stride
    return [-(-(k - r) // s) if r < k else 0 for r in range(s)]


def equal_phase_kernel(kernel_size, stride):
    """A (k, k) kernel whose every phase sub-kernel K[r::s, c::s] sums to 1 (if the phase has taps).

    Per axis each tap is 1 over the number of taps of its phase ([0.5, 1, 0.5] for k=3, s=2); the
    kernel is the outer product of the two axes. Introduced in 04-checkerboard-artifacts.ipynb.
    """
    counts = phase_counts(kernel_size, stride)
    taps = torch.tensor([1 / counts[t % stride] for t in range(kernel_size)], dtype=torch.float64)
    return torch.outer(taps, taps)


CHECKER_KERNELS = {
    "ones": lambda k, s: torch.ones(k, k, dtype=torch.float64),
    "equal phase sums": equal_phase_kernel,
    "random positive": lambda k, s: torch.rand(k, k, generator=torch.Generator().manual_seed(k),
                                               dtype=torch.float64) + 0.5,
}


def _phase_sentence(K, s):
    """Whether the s*s sub-kernels K[r::s, c::s] have equal sums (a constant input comes out
    flat)."""
    k = K.shape[0]
    empty = phase_counts(k, s).count(0)
    if empty:
        return (
            f"phase sums: kernel_size {k} < stride {s}, so {s * s - k * k} of the {s * s} phases "
            f"(r mod {s}, c mod {s}) get no tap at all; no choice of weights can even them out"
        )
    sums = [float(K[r::s, c::s].sum()) for r in range(s) for c in range(s)]
    lo, hi = min(sums), max(sums)
    if hi - lo <= 1e-9 * max(1.0, abs(hi)):
        return (
            f"phase sums: all {s * s} sub-kernels K[r::{s}, c::{s}] sum to {plots.fmt(lo)}, so a "
            "constant input comes out flat inside"
        )
    return (
        f"phase sums: the {s * s} sub-kernels K[r::{s}, c::{s}] sum to {plots.fmt(lo)} .. "
        f"{plots.fmt(hi)}, so a constant input comes out uneven"
    )


class CheckerboardExplorer(Explorer):
    """checkerboard_explorer's widget: stride, kernel size, layers and the kernel's weights."""

    NAME = "checkerboard_explorer"
    _esm = _module("checkerboard")
    CONTROLS: ClassVar[dict] = {
        "stride": _range(1, 4, "stride"),
        "kernel_size": _range(1, 9, "kernel size"),
        "layers": _range(1, 3, "layers"),
        "kernel": _choice(CHECKER_KERNELS, "kernel weights"),
    }
    stride, kernel_size, layers, kernel = _value(), _value(), _value(), _value()

    def data(self):
        return {
            "random": {
                str(k): CHECKER_KERNELS["random positive"](k, 1).tolist() for k in range(1, 10)
            }
        }

    def render(self, **values):
        return _checkerboard_view(**values)


def checkerboard_explorer(stride=2, kernel_size=3, layers=1, kernel="ones"):
    """Uneven overlap, live: how many stamps land on each output cell, and what a constant input
    becomes.

    `layers` stacked transposed convolutions (same kernel size and stride) upsample a constant input
    (8x8, larger when needed to leave cells beyond the edges' reach: `checker_geometry`).
    Kernel weights: all ones, "equal phase sums" (each sub-kernel K[r::s, c::s] sums to 1), or
    random.
    Introduced in 04-checkerboard-artifacts.ipynb.
    """
    return CheckerboardExplorer(
        stride=stride, kernel_size=kernel_size, layers=layers, kernel=kernel
    )


def _checkerboard_view(stride, kernel_size, layers, kernel):
    from .ops import interior, overlap_counts

    k, s = kernel_size, stride
    side, margin = checker_geometry(k, s, layers)
    counts = overlap_counts(side, k, s, layers)
    K = CHECKER_KERNELS[kernel](k, s)
    Y = torch.ones((1, 1, side, side), dtype=torch.float64)
    for _ in range(layers):
        Y = torch.nn.functional.conv_transpose2d(Y, K[None, None], stride=s)
    Y = Y[0, 0]
    inner_counts, inner_y = interior(counts, margin), interior(Y, margin)
    n = counts.shape[0]
    start = max(0, (n - CHECKER_VIEW) // 2)
    crop = slice(start, start + min(n, CHECKER_VIEW))
    px = max(14, min(34, 560 // min(n, CHECKER_VIEW)))
    lo, hi = float(inner_counts.min()), float(inner_counts.max())
    shown = (
        f"central {min(n, CHECKER_VIEW)}x{min(n, CHECKER_VIEW)} of {n}x{n}"
        if n > CHECKER_VIEW
        else f"{n}x{n}"
    )
    panels = [
        plots.grid_html(K, f"kernel K: {k}x{k}", "kernel", cell_px=34 if k > 6 else 40),
        plots.grid_html(counts[crop, crop], f"stamps per cell ({shown})", "output", cell_px=px),
        plots.grid_html(Y[crop, crop], "output of a constant input", "output", cell_px=px),
    ]
    if lo == hi:
        verdict = "even: every interior cell receives the same number of stamps"
    elif lo == 0:
        verdict = (
            "uneven: the kernel is smaller than the stride, so some cells receive no stamp "
            f"(0 to {hi:g})"
        )
    else:
        verdict = f"uneven: interior cells receive {lo:g} to {hi:g} stamps, a ratio of {hi / lo:g}"
    lines = [
        f"kernel_size % stride = {k} % {s} = {k % s}; {layers} layer(s) on a constant "
        f"{side}x{side} input",
        f"overlap {verdict}",
        f"constant input: interior output from {float(inner_y.min()):.2f} to "
        f"{float(inner_y.max()):.2f}",
        _phase_sentence(K, s),
    ]
    return plots.panels_html(panels, "", plots.text_html(lines))


FACE = (slice(14, 62), slice(28, 76))  # a 48x48 crop of the sample image around the face
_IMAGE = {}


def _sample():
    from .upsampling import sample_image

    if "x" not in _IMAGE:
        _IMAGE["x"] = sample_image()
    return _IMAGE["x"]


class UpsamplingExplorer(Explorer):
    """upsampling_explorer's widget: the method and the factor; the photograph's pixels go to the
    page once."""

    NAME = "upsampling_explorer"
    _esm = _module("upsampling")
    CONTROLS: ClassVar[dict] = {
        "method": _choice(METHODS, "method"),
        "factor": _range(2, 4, "factor", step=2),
    }
    method, factor = _value(), _value()

    def data(self):
        x = _sample()
        pixels = (x * 255).round().to(torch.int64)
        return {"image": pixels.flatten().tolist(), "height": x.shape[0], "width": x.shape[1]}

    def render(self, **values):
        return _upsampling_view(**values)


def upsampling_explorer(method="transposed conv, bilinear kernel", factor=2):
    """Downsample the sample photograph by `factor`, upsample it back with `method`: a crop of each,
    and the difference from the original. Introduced in 05-upsampling-in-practice.ipynb."""
    return UpsamplingExplorer(method=method, factor=factor)


def _upsampling_view(method, factor):
    from .upsampling import psnr, upsample

    x = _sample()
    low = torch.nn.functional.avg_pool2d(x[None, None], factor)[0, 0]
    y = upsample(low, method, factor)
    diff = (y - x).abs()
    rows, cols = FACE
    low_crop = low[
        rows.start // factor : rows.stop // factor, cols.start // factor : cols.stop // factor
    ]
    panels = [
        plots.image_html(low_crop, f"input, 1/{factor} size", "input", scale=4 * factor),
        plots.image_html(y[rows, cols], "upsampled", "output"),
        plots.image_html(x[rows, cols], "original", "kernel"),
        plots.image_html(
            diff[rows, cols], "|upsampled - original|, 0 to 0.25", "output", 0.0, 0.25, colored=True
        ),
    ]
    lines = [
        f"whole image {tuple(x.shape)}: PSNR {psnr(x, y):.1f} dB, max |difference| "
        f"{float(diff.max()):.2f}",
        f"upsample(avg_pool2d(x, {factor}), {method!r}, {factor})",
    ]
    return plots.panels_html(panels, "", plots.text_html(lines))


SUBPIXEL_INPUT = 4
"""The smallest side of the constant input in subpixel_explorer (it grows with the kernel)."""


def subpixel_side(kernel_size, stride):
    """The side of subpixel_explorer's constant input: every phase keeps cells off the border."""
    return max(SUBPIXEL_INPUT, -(-kernel_size // stride) + 2)
SUBPIXEL_KERNELS = {
    "ones": lambda k, s: torch.ones(k, k, dtype=torch.float64),
    "equal phase sums": equal_phase_kernel,
    "random integers": lambda k, s: torch.randint(
        1, 5, (k, k), generator=torch.Generator().manual_seed(k)
    ).double(),
}


def _phase_color(r, c, s):
    return f"hsl({round(360 * (r * s + c) / (s * s))}, 70%, 82%)"


def _phase_grid_html(A, s, title):
    """A grid whose cells are coloured by their phase (i mod s, j mod s), with their numbers."""
    import html

    rows = []
    for i, row in enumerate(A.tolist()):
        cells = []
        for j, v in enumerate(row):
            style = (
                "width:34px;height:34px;padding:0;text-align:center;"
                f"background:{_phase_color(i % s, j % s, s)};color:#000;"
            )
            cells.append(f'<td style="{style}">{plots.fmt(v)}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    color = plots.ROLE_COLORS["output"]
    return (
        '<div style="margin:4px 14px 4px 0">'
        f'<div style="color:{color};font-weight:bold;font-size:18px;'
        f'margin-bottom:4px">{html.escape(title)}</div>'
        f'<table data-role="output" style="border-collapse:collapse;border:3px solid {color};'
        f'font:bold 14px/1 sans-serif;text-align:center">{"".join(rows)}</table></div>'
    )


class SubpixelExplorer(Explorer):
    """subpixel_explorer's widget: the stride, the kernel size and the kernel's weights."""

    NAME = "subpixel_explorer"
    _esm = _module("subpixel")
    CONTROLS: ClassVar[dict] = {
        "stride": _range(1, 4, "stride"),
        "kernel_size": _range(1, 9, "kernel size"),
        "kernel": _choice(SUBPIXEL_KERNELS, "kernel weights"),
    }
    stride, kernel_size, kernel = _value(), _value(), _value()

    def data(self):
        return {
            "random": {
                str(k): SUBPIXEL_KERNELS["random integers"](k, 1).tolist() for k in range(1, 10)
            }
        }

    def render(self, **values):
        return _subpixel_view(**values)


def subpixel_explorer(stride=2, kernel_size=3, kernel="ones"):
    """The sub-pixel view, live: the s*s sub-kernels K[r::s, c::s] with their sums, and the output
    of a constant input coloured by phase (row mod s, column mod s); flat exactly when every phase
    sum is equal.

    Kernel weights: all ones, "equal phase sums" (each sub-kernel sums to 1), or random integers.
    Introduced in 04-checkerboard-artifacts.ipynb.
    """
    return SubpixelExplorer(stride=stride, kernel_size=kernel_size, kernel=kernel)


def _subpixel_view(stride, kernel_size, kernel):
    s, k = stride, kernel_size
    K = SUBPIXEL_KERNELS[kernel](k, s)
    panels = [plots.grid_html(K, f"kernel K: {k}x{k}", "kernel", cell_px=34)]
    sums = []
    for r in range(s):
        for c in range(s):
            sub, band = K[r::s, c::s], f"border-bottom:6px solid {_phase_color(r, c, s)};"
            if sub.numel() == 0:
                panels.append(
                    f'<div style="margin:4px 14px 4px 0;font-size:16px;{band}">'
                    f"K[{r}::{s}, {c}::{s}]: no taps</div>"
                )
                continue
            sums.append(float(sub.sum()))
            title = f"K[{r}::{s}, {c}::{s}], sum {plots.fmt(sub.sum())}"
            panels.append(
                f'<div style="{band}">{plots.grid_html(sub, title, "kernel", cell_px=30)}</div>'
            )
    n = subpixel_side(k, s)
    Y = torch.nn.functional.conv_transpose2d(
        torch.ones(1, 1, n, n, dtype=torch.float64), K[None, None], stride=s
    )[0, 0]
    panels.append(_phase_grid_html(Y, s, f"constant input {n}x{n} of ones, output by phase"))
    empty = phase_counts(k, s).count(0)
    if empty:
        verdict = (
            f"kernel_size {k} < stride {s}: {s * s - k * k} of the {s * s} phases have no taps, so "
            "their output cells stay 0 whatever the weights: no kernel of this size keeps a "
            "constant input flat."
        )
    elif max(sums) - min(sums) <= 1e-9 * max(1.0, abs(max(sums))):
        verdict = (
            f"All {s * s} phase sums equal {plots.fmt(min(sums))}: away from the borders the "
            f"output is flat ({plots.fmt(min(sums))} everywhere)."
        )
    else:
        verdict = (
            f"The phase sums differ ({plots.fmt(min(sums))} to {plots.fmt(max(sums))}): away from "
            f"the borders each phase shows its own sum, a pattern that repeats every {s} cells: "
            "the checkerboard."
        )
    lines = [
        f"Y = F.conv_transpose2d(ones({n}, {n}), K, stride={s}); output cell (i, j) uses only "
        f"the taps of K[i mod {s}::{s}, j mod {s}::{s}]"
    ]
    return plots.panels_html(panels, verdict, plots.text_html(lines))
