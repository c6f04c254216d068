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
        try:
            self.view.value = self._render(**self.values())
        except (ValueError, TypeError) as err:
            self.view.value = plots.message_html(str(err))


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
    style = {"description_width": "initial"}
    x_box = widgets.Dropdown(options=list(X_PRESETS), value=x_preset, description="X", style=style)
    k_box = widgets.Dropdown(options=list(K_PRESETS), value=k_preset, description="K", style=style)
    stride_box = widgets.IntSlider(value=stride, min=1, max=3, description="stride", style=style)
    step_box = widgets.IntSlider(value=min(max(step, 0), n), min=0, max=n, description="step", style=style)
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
