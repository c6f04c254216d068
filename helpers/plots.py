"""Figures: matplotlib grids with their numbers, and the same grids as HTML for the live explorers.

One palette everywhere: cell colours come from viridis on a scale fixed per figure, and each role
has one colour for its title and frame (Okabe-Ito, colour-blind safe). White backgrounds keep
figures readable in JupyterLab's dark theme.
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

    `box` = (row, col, height, width) frames a window of cells.
    Introduced in 01-transposed-convolution-loop.ipynb.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    A, lo, hi = _range(A, vmin, vmax)
    if ax is None:
        _, ax = plt.subplots(figsize=(0.5 * A.shape[1] + 0.6, 0.5 * A.shape[0] + 0.8))
    ax.imshow(A.numpy(), cmap=CMAP, vmin=lo, vmax=hi)
    for n, v in enumerate(A.flatten().tolist()):
        i, j = divmod(n, A.shape[1])
        light = (v - lo) / (hi - lo) > 0.6
        ax.text(
            j, i, fmt(v), ha="center", va="center", fontsize=11, color="black" if light else "white"
        )
    if box is not None:
        r, c, h, w = box
        ax.add_patch(
            Rectangle((c - 0.5, r - 0.5), w, h, fill=False, lw=4, ec=ROLE_COLORS["highlight"])
        )
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor(ROLE_COLORS[role])
        spine.set_linewidth(2.5)
    if title:
        ax.set_title(title, color=ROLE_COLORS[role], fontsize=12)
    return ax


def plot_stamps(X, K, stride=1, axes=None):
    """Each stamp X[i, j] * K in its output window, then the sum; returns the axes (one per panel).

    X (H, W), K (kH, kW); all panels share one colour scale.
    Introduced in 01-transposed-convolution-loop.ipynb.
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
        title = f"X[{i},{j}] = {fmt(X[i, j])}\nstamp {fmt(X[i, j])} \u00d7 K"
        show_grid(stamps[k], ax, title, "kernel", lo, hi, box)
    show_grid(Y, axes[-1], "sum of the stamps\nY", "output", lo, hi)
    return axes


@lru_cache(maxsize=16)
def _cell_styles(cell_px):
    """The style of a cell for each of the 256 shades: palette background, black or white text."""
    return [f"width:{cell_px}px;height:{cell_px}px;padding:0;text-align:center;background:{c};"
            f"color:{'#000' if k > 153 else '#fff'};"
            for k, c in enumerate(_palette())]


@lru_cache(maxsize=1)
def _palette():
    import matplotlib

    cmap = matplotlib.colormaps[CMAP]
    return [matplotlib.colors.to_hex(cmap(k / 255)) for k in range(256)]


def grid_html(
    A, title, role="output", vmin=None, vmax=None, highlight=(), dim=(), cell_px=None, numbers=None
):
    """A 2-D tensor as an HTML table: coloured cells with their numbers, sized for a projector.

    `highlight` cells get a thick frame, `dim` cells are faded (cropped away, say). Cells are 46 px
    unless the grid is wide, then smaller (never under 24 px). Numbers are written in the cells
    unless `numbers` is False (default: when cells are at least 20 px). The table carries
    data-role=`role` so tests can read the numbers back.
    Introduced in 01-transposed-convolution-loop.ipynb.
    """
    A, lo, hi = _range(A, vmin, vmax)
    if cell_px is None:
        cell_px = max(24, min(46, 560 // max(A.shape[1], 1)))
    font = max(11, round(cell_px * 0.4))
    numbers = cell_px >= 20 if numbers is None else numbers
    shades = ((A - lo) / (hi - lo)).clamp(0, 1).mul(255).round().to(torch.int64).tolist()
    if not numbers:
        texts = [[""] * A.shape[1] for _ in range(A.shape[0])]
    elif bool(((A - A.round()).abs() < 1e-6).all()):
        texts = A.round().to(torch.int64).tolist()
    else:
        texts = [[fmt(v) for v in row] for row in A.tolist()]
    prefix = _cell_styles(cell_px)
    marked, faded = set(highlight), set(dim)
    frame = f"box-shadow:inset 0 0 0 {4 if cell_px >= 20 else 2}px {ROLE_COLORS['highlight']};"
    rows = []
    for i, (shade_row, text_row) in enumerate(zip(shades, texts)):
        cells = []
        for j, (shade, text) in enumerate(zip(shade_row, text_row)):
            extra = frame if (i, j) in marked else ""
            extra += "opacity:0.3;" if (i, j) in faded else ""
            cells.append(f'<td style="{prefix[shade]}{extra}">{text}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    color = ROLE_COLORS[role]
    return (
        f'<div style="margin:4px 14px 4px 0">'
        f'<div style="color:{color};font-weight:bold;font-size:18px;'
        f'margin-bottom:4px">{html.escape(title)}</div>'
        f'<table data-role="{role}" style="border-collapse:collapse;border:3px solid {color};'
        f'font:bold {font}px/1 sans-serif;text-align:center">{"".join(rows)}</table></div>'
    )


def panels_html(panels, caption="", below=""):
    """Lay out grid_html panels side by side (wrapping when narrow) above a caption and `below`."""
    cap = ""
    if caption:
        cap = f'<div style="font-size:18px;margin-top:8px">{html.escape(caption)}</div>'
    cap += below
    return (
        '<div style="background:#fff;color:#111;padding:10px;font-family:sans-serif">'
        '<div style="display:flex;flex-wrap:wrap;align-items:flex-start">'
        f'{"".join(panels)}</div>{cap}</div>'
    )


def text_html(lines):
    """Lines of monospaced text (formulas, code) under a figure, readable from the back row."""
    body = "<br>".join(html.escape(line) for line in lines)
    return f'<div style="font:17px/1.5 monospace;margin-top:8px">{body}</div>'


def message_html(text):
    """A plain message in place of a figure: what cannot be drawn and why (marked
    data-role="message", so a page or a test can tell it from a figure)."""
    return (
        '<div data-role="message" style="background:#fff;color:#8a1c00;padding:10px;'
        f'font:18px sans-serif;border-left:6px solid {ROLE_COLORS["highlight"]}">'
        f"{html.escape(text)}</div>"
    )


def plot_channel_groups(c_in, c_out, groups=1, ax=None):
    """Which input channels feed which output channels in ConvTranspose2d(c_in, c_out, groups).

    One line per kernel slice K[c, o'] (a kH x kW stamp), coloured by group; returns the axes.
    Introduced in 02-padding-stride-and-channels.ipynb.
    """
    import matplotlib.pyplot as plt

    if c_in % groups or c_out % groups:
        raise ValueError(
            "groups must divide both channel counts; "
            f"got c_in={c_in}, c_out={c_out}, groups={groups}"
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 0.55 * max(c_in, c_out) + 1.2), facecolor="white")
    colors = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"]
    top = max(c_in, c_out) - 1
    y_in = [top - i * top / max(c_in - 1, 1) if c_in > 1 else top / 2 for i in range(c_in)]
    y_out = [top - o * top / max(c_out - 1, 1) if c_out > 1 else top / 2 for o in range(c_out)]
    per_in, per_out = c_in // groups, c_out // groups
    for c in range(c_in):
        g = c // per_in
        for o in range(g * per_out, (g + 1) * per_out):
            ax.plot([0, 1], [y_in[c], y_out[o]], color=colors[g % len(colors)], lw=2, alpha=0.8)
    for xs, ys, label, role in ((0, y_in, "in", "input"), (1, y_out, "out", "output")):
        for n, y in enumerate(ys):
            ax.text(xs, y, f"{label} {n}", ha="center", va="center", fontsize=11, color="white",
                    bbox=dict(boxstyle="round", fc=ROLE_COLORS[role], ec="none"))
    ax.set_title(
        f"ConvTranspose2d({c_in}, {c_out}, groups={groups})\n"
        f"weight shape ({c_in}, {per_out}, kH, kW)",
        fontsize=11,
    )
    ax.set_xlim(-0.3, 1.3)
    ax.set_ylim(-0.7, top + 0.7)
    ax.axis("off")
    return ax


def strip_html(n, padding, read, cell_px=34):
    """One axis of a convolution's input: n numbered cells between `padding` zeros on each side.

    Positions in `read` (input indices, -padding .. n+padding-1) are read by some window; the others
    are faded. Introduced in 02-padding-stride-and-channels.ipynb.
    """
    cells = []
    for c in range(-padding, n + padding):
        pad = c < 0 or c >= n
        style = (
            f"width:{cell_px}px;height:{cell_px}px;padding:0;text-align:center;"
            "font:bold 15px sans-serif;"
        )
        if pad:
            style += "background:#ddd;color:#555;border:2px dashed #999;"
        else:
            style += f"background:{ROLE_COLORS['input']};color:#fff;border:2px solid #fff;"
        style += "" if c in read else "opacity:0.25;"
        cells.append(f'<td style="{style}">{"" if pad else c}</td>')
    return (
        '<table data-role="strip" style="border-collapse:collapse">'
        f'<tr>{"".join(cells)}</tr></table>'
    )


def image_html(A, title, role="output", vmin=0.0, vmax=1.0, scale=4, colored=False):
    """A 2-D tensor as an inline PNG (grayscale, or viridis when `colored`), enlarged `scale` times
    with visible pixels. Introduced in 05-upsampling-in-practice.ipynb."""
    import base64
    import io

    from PIL import Image

    A = torch.as_tensor(A, dtype=torch.float32)
    t = ((A - vmin) / (vmax - vmin)).clamp(0, 1).mul(255).round().to(torch.uint8)
    if colored:
        lut = torch.tensor(
            [[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in _palette()], dtype=torch.uint8
        )
        image = Image.fromarray(lut[t.long()].numpy(), "RGB")
    else:
        image = Image.fromarray(t.numpy(), "L")
    image = image.resize((A.shape[1] * scale, A.shape[0] * scale), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    data = base64.b64encode(buffer.getvalue()).decode()
    color = ROLE_COLORS[role]
    return (
        f'<div style="margin:4px 14px 4px 0">'
        f'<div style="color:{color};font-weight:bold;font-size:18px;'
        f'margin-bottom:4px">{html.escape(title)}</div>'
        f'<img data-role="{role}" alt="{html.escape(title)}" '
        f'style="border:3px solid {color};image-rendering:pixelated" '
        f'src="data:image/png;base64,{data}"></div>'
    )


IMPLEMENTATION_STYLES = {
    "loop": ("#000000", "o"), "dense matrix": ("#D55E00", "s"), "sparse matrix": ("#E69F00", "D"),
    "via conv": ("#56B4E9", "^"), "fold": ("#009E73", "v"), "torch": ("#0072B2", "*"),
    "sub-pixel": ("#CC79A7", "P"),
}


def plot_growth(series, ylabel, title, ax=None):
    """Log-log lines, one per implementation; returns the axes.

    `series` maps a name to (input sides n, values).

    Each line's label carries its fitted growth exponent.
    Introduced in 06-what-each-implementation-costs.ipynb.
    """
    import matplotlib.pyplot as plt

    from .costs import growth_exponent

    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4.2), facecolor="white")
    for name, (sizes, values) in series.items():
        color, marker = IMPLEMENTATION_STYLES.get(name, ("#666666", "."))
        label = f"{name}  (~ n^{growth_exponent(sizes, values):.1f})"
        ax.loglog(sizes, values, marker=marker, color=color, lw=2, ms=7, label=label)
    ax.set_xscale("log", base=2)
    ax.set_xticks(sorted({n for sizes, _ in series.values() for n in sizes}))
    ax.xaxis.set_major_formatter("{x:g}")
    ax.xaxis.set_minor_locator(plt.NullLocator())
    ax.set_xlabel("input side n (an n x n input)", fontsize=11)
    ax.set_ylabel(ylabel, fontsize=11)
    ax.set_title(title, fontsize=12)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=9, frameon=False, loc="upper left")
    return ax


def show_image_rows(rows, scores=None, size=1.0):
    """Images in rows, one row per name: `rows` maps a name to a tensor (n, H, W); `scores` maps the
    same names to n numbers printed under the images. Each image is stretched to its own range
    (black its minimum, white its maximum), so that a faint pattern is visible. Returns the axes.

    Introduced in 07-transposed-convolution-in-real-networks.ipynb.
    """
    import matplotlib.pyplot as plt

    names = list(rows)
    n = max(len(rows[name]) for name in names)
    fig, axes = plt.subplots(len(names), 1, figsize=(size * n + 2.4, (size + 0.25) * len(names)),
                             squeeze=False, facecolor="white")
    for name, ax in zip(names, axes[:, 0]):
        images = torch.as_tensor(rows[name]).detach().float()
        H, W = images.shape[-2:]
        gap = max(W // 8, 1)
        strip = torch.ones(H, n * (W + gap) - gap)
        for c, A in enumerate(images):
            lo, hi = A.min(), A.max()
            strip[:, c * (W + gap):c * (W + gap) + W] = (A - lo) / (hi - lo) if hi > lo else 0.5
            if scores is not None:
                ax.text(c * (W + gap) + W / 2, H + 0.5, f"{scores[name][c]:.3f}", ha="center",
                        va="top", fontsize=8)
        ax.imshow(strip.numpy(), cmap="gray", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    fig.subplots_adjust(left=2.3 / (size * n + 2.4), right=0.98, top=0.98, bottom=0.06, hspace=0.35)
    return axes


PHASE_COLORS = ["#56B4E9", "#E69F00", "#009E73", "#CC79A7", "#F0E442", "#0072B2", "#D55E00",
                "#999999", "#FFFFFF"]
"""One colour per phase (Okabe-Ito, colour-blind safe), phases numbered r_h * s_w + r_w."""


def show_phases(Y, stride, padding=0, ax=None, title=None, decimals=None):
    """Draw a 2-D output Y (H_out, W_out) with each cell coloured by its phase, the pair
    ((row + padding) mod s_h, (col + padding) mod s_w) of its uncropped position, and its number;
    returns the axes. stride and padding are ints or (h, w) pairs; `decimals` rounds the numbers
    (None: whole numbers as ints, others with two decimals).
    Introduced in 04-checkerboard-artifacts.ipynb.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_rgb
    from matplotlib.patches import Patch

    Y = torch.as_tensor(Y, dtype=torch.float64)
    (sh, sw), (ph, pw) = ((v, v) if isinstance(v, int) else tuple(v) for v in (stride, padding))
    if sh * sw > len(PHASE_COLORS):
        raise ValueError(
            f"show_phases colours at most {len(PHASE_COLORS)} phases; got stride {(sh, sw)}"
        )
    h, w = Y.shape
    phase = [[((i + ph) % sh) * sw + (j + pw) % sw for j in range(w)] for i in range(h)]
    if ax is None:
        _, ax = plt.subplots(figsize=(0.5 * w + 2.2, 0.5 * h + 0.8))
    ax.imshow([[to_rgb(PHASE_COLORS[phase[i][j]]) for j in range(w)] for i in range(h)])
    for i in range(h):
        for j in range(w):
            v = Y[i, j].item()
            text = f"{v:.{decimals}f}" if decimals is not None else fmt(v)
            ax.text(j, i, text, ha="center", va="center", fontsize=11, color="black")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor(ROLE_COLORS["output"])
        spine.set_linewidth(2.5)
    handles = [
        Patch(facecolor=PHASE_COLORS[rh * sw + rw], edgecolor="black", label=f"phase ({rh}, {rw})")
        for rh in range(sh)
        for rw in range(sw)
    ]
    ax.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False, fontsize=10
    )
    if title:
        ax.set_title(title, color=ROLE_COLORS["output"], fontsize=12)
    return ax
