"""Figures: matplotlib grids with their numbers, and the same grids as HTML for the live explorers.

One palette everywhere: cell colours come from viridis on a scale fixed per figure, and each role has
one colour for its title and frame (Okabe-Ito, colour-blind safe). White backgrounds keep figures
readable in JupyterLab's dark theme.
"""
import html
from functools import lru_cache

import torch

ROLE_COLORS = {"input": "#0072B2", "kernel": "#E69F00", "output": "#009E73", "highlight": "#D55E00"}
CMAP = "viridis"


def fmt(v):
    """A grid value as it is printed in a cell: whole numbers without decimals."""
    v = float(v)
    if abs(v - round(v)) < 1e-6:
        return str(int(round(v)))
    return f"{v:.2f}"


def _range(A, vmin, vmax):
    A = torch.as_tensor(A, dtype=torch.float64)
    lo = float(A.min()) if vmin is None else vmin
    hi = float(A.max()) if vmax is None else vmax
    return A, lo, (hi if hi > lo else lo + 1.0)


def show_grid(A, ax=None, title=None, role="output", vmin=None, vmax=None, box=None):
    """Draw a 2-D tensor as a grid of coloured cells with its numbers; returns the axes.

    `box` = (row, col, height, width) frames a window of cells. Introduced in 01-transposed-convolution-loop.ipynb.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    A, lo, hi = _range(A, vmin, vmax)
    if ax is None:
        _, ax = plt.subplots(figsize=(0.5 * A.shape[1] + 0.6, 0.5 * A.shape[0] + 0.8))
    ax.imshow(A.numpy(), cmap=CMAP, vmin=lo, vmax=hi)
    for (i, j), v in zip(((i, j) for i in range(A.shape[0]) for j in range(A.shape[1])), A.flatten().tolist()):
        light = (v - lo) / (hi - lo) > 0.6
        ax.text(j, i, fmt(v), ha="center", va="center", fontsize=11, color="black" if light else "white")
    if box is not None:
        r, c, h, w = box
        ax.add_patch(Rectangle((c - 0.5, r - 0.5), w, h, fill=False, lw=4, ec=ROLE_COLORS["highlight"]))
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor(ROLE_COLORS[role])
        spine.set_linewidth(2.5)
    if title:
        ax.set_title(title, color=ROLE_COLORS[role], fontsize=12)
    return ax


def plot_stamps(X, K, stride=1, axes=None):
    """Each stamp X[i, j] * K in its output window, then their sum; returns the axes (one per panel).

    X (H, W), K (kH, kW); all panels share one colour scale. Introduced in 01-transposed-convolution-loop.ipynb.
    """
    import matplotlib.pyplot as plt

    from .ops import trans_conv_stamps

    X = torch.as_tensor(X)
    stamps = trans_conv_stamps(X, K, stride)
    Y = stamps.sum(0)
    lo, hi = min(0.0, float(stamps.min()), float(Y.min())), max(float(stamps.max()), float(Y.max()))
    n = stamps.shape[0] + 1
    if axes is None:
        size = 0.5 * Y.shape[1] + 0.6
        _, axes = plt.subplots(1, n, figsize=(size * n, 0.5 * Y.shape[0] + 1.2), facecolor="white")
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    kh, kw = torch.as_tensor(K).shape
    for k, ax in enumerate(axes[:-1]):
        i, j = divmod(k, X.shape[1])
        box = (i * sh, j * sw, kh, kw)
        show_grid(stamps[k], ax, f"X[{i},{j}] = {fmt(X[i, j])}\nstamp {fmt(X[i, j])} \u00d7 K", "kernel", lo, hi, box)
    show_grid(Y, axes[-1], "sum of the stamps\nY", "output", lo, hi)
    return axes


@lru_cache(maxsize=1)
def _palette():
    import matplotlib

    cmap = matplotlib.colormaps[CMAP]
    return [matplotlib.colors.to_hex(cmap(k / 255)) for k in range(256)]


def grid_html(A, title, role="output", vmin=None, vmax=None, highlight=(), cell_px=46):
    """A 2-D tensor as an HTML table: coloured cells with their numbers, sized for a projector.

    The table carries data-role=`role` so tests can read the numbers back.
    Introduced in 01-transposed-convolution-loop.ipynb.
    """
    A, lo, hi = _range(A, vmin, vmax)
    palette, marked = _palette(), set(highlight)
    edge = ROLE_COLORS["highlight"]
    rows = []
    for i, row in enumerate(A.tolist()):
        cells = []
        for j, v in enumerate(row):
            t = min(max((v - lo) / (hi - lo), 0.0), 1.0)
            frame = f"box-shadow:inset 0 0 0 4px {edge};" if (i, j) in marked else ""
            cells.append(
                f'<td style="width:{cell_px}px;height:{cell_px}px;background:{palette[round(t * 255)]};'
                f'color:{"#000" if t > 0.6 else "#fff"};{frame}">{fmt(v)}</td>'
            )
        rows.append("<tr>" + "".join(cells) + "</tr>")
    color = ROLE_COLORS[role]
    return (
        f'<div style="margin:4px 14px 4px 0"><div style="color:{color};font-weight:bold;font-size:18px;'
        f'margin-bottom:4px">{html.escape(title)}</div>'
        f'<table data-role="{role}" style="border-collapse:collapse;border:3px solid {color};'
        f'font:bold 18px/1 sans-serif;text-align:center">{"".join(rows)}</table></div>'
    )


def panels_html(panels, caption=""):
    """Lay out grid_html panels side by side (wrapping on narrow screens) above a caption."""
    cap = f'<div style="font-size:18px;margin-top:8px">{caption}</div>' if caption else ""
    return (
        '<div style="background:#fff;color:#111;padding:10px;font-family:sans-serif">'
        f'<div style="display:flex;flex-wrap:wrap;align-items:flex-start">{"".join(panels)}</div>{cap}</div>'
    )


def message_html(text):
    """A plain message in place of a figure: what cannot be drawn and why."""
    return (
        '<div style="background:#fff;color:#8a1c00;padding:10px;font:18px sans-serif;'
        f'border-left:6px solid {ROLE_COLORS["highlight"]}">{html.escape(text)}</div>'
    )
