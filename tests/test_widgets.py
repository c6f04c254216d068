"""Explorers: they build with no arguments, every control moves the view, nothing raises.

The Python side of each explorer draws a static snapshot of its view (what GitHub and an untrusted
notebook show); these tests drive the controls from code and read the snapshot. The page side (the
ES modules in helpers/explorers/) is tested under Node (tests/js/, run by test_javascript_maths) and
in Chromium against torch (the browser tests, tests/test_browser*.py).
"""

import inspect
import os
import re
import shutil
import subprocess
from html import unescape
from itertools import product
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

import helpers.widgets as hw
from helpers import (
    conv_output_shape,
    interior,
    kernel2matrix,
    overlap_counts,
    plots,
    recovering_output_padding,
    trans_conv,
    trans_conv_output_shape,
)
from helpers.upsampling import METHODS, psnr, sample_image, upsample

ROOT = Path(__file__).resolve().parents[1]
EXPLORERS = [
    name for name, fn in inspect.getmembers(hw, inspect.isfunction) if name.endswith("_explorer")
]


def grid(explorer, role, index=-1):
    """The numbers of a table with data-role=`role` in the explorer's view (the last by default)."""
    tables = re.findall(rf'<table data-role="{role}"[^>]*>(.*?)</table>', explorer.view.value)
    assert tables, f"no {role} grid in the view"
    rows = re.findall(r"<tr>(.*?)</tr>", tables[index])
    return torch.tensor(
        [[float(unescape(c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", r)] for r in rows]
    )


def message(explorer):
    """The message the view shows in place of a figure (helpers.plots.message_html: the rule a
    value breaks, in words), or "" when it shows a figure."""
    view = explorer.view.value
    text = unescape(re.sub(r"<[^>]*>", "", view))
    return text if view == plots.message_html(text) else ""


def control_values(control):
    if control.options is not None:
        return list(control.options)
    if isinstance(control.value, bool):
        return [not control.value, control.value]
    return list(range(control.min, control.max + 1, control.step))


def test_explorers_exist():
    assert {
        "loop_explorer",
        "parameter_explorer",
        "ambiguity_explorer",
        "matrix_explorer",
        "equivalent_conv_explorer",
        "checkerboard_explorer",
        "upsampling_explorer",
    } <= set(EXPLORERS)


@pytest.mark.parametrize("name", EXPLORERS)
def test_explorer_builds_with_no_arguments(name):
    e = getattr(hw, name)()
    assert isinstance(e, hw.Explorer) and e.controls and not message(e)
    assert "<table" in e.view.value or "<img" in e.view.value
    data, _ = e._repr_mimebundle_()
    assert (
        data["text/html"] == e.view.value
        and name in data["text/plain"]
        and "\n" not in data["text/plain"]
    )
    assert "application/vnd.jupyter.widget-view+json" in data
    # the page gets the same controls, and a module that defines the maths and the view
    assert [c["name"] for c in e._controls] == list(e.controls)
    assert "export default" in e._esm and "import {" not in e._esm


@pytest.mark.parametrize("name", EXPLORERS)
def test_snapshot_and_widget_state_are_deterministic(name):
    a, b = getattr(hw, name)(), getattr(hw, name)()
    assert a.view.value == b.view.value
    keys = [
        k
        for k in a.keys
        if not k.startswith("_view") and k not in ("layout", "tabbable", "tooltip")
    ]
    assert {k: getattr(a, k) for k in keys if k != "_dom_classes"} == {
        k: getattr(b, k) for k in keys if k != "_dom_classes"
    }
    assert not re.search(
        r"\d{4}-\d\d-\d\dT|[0-9a-f]{32}", a.view.value
    )  # no timestamps, no random ids


@pytest.mark.parametrize("name", EXPLORERS)
def test_every_control_changes_the_view_across_its_range(name):
    e = getattr(hw, name)()
    for key, control in e.controls.items():
        values = control_values(control)
        assert len(values) > 1, key
        start, seen = control.value, set()
        for v in values:
            control.value = v  # an exception here would escape the observer and fail the test
            if message(e):
                assert " must " in message(e), (key, v)  # a rule, in words
            seen.add(e.view.value)
        assert len(seen) > 1, f"moving {key} never changed the view"
        control.value = start
        assert not message(e), f"{name} did not recover when {key} moved back"


ODD_VALUES = [
    None,
    -1,
    99,
    2.5,
    "3",
    "no such option",
    True,
    [1, 2],
    torch.tensor(99),
    torch.ones(2),
    object(),
]


@pytest.mark.parametrize("name", EXPLORERS)
def test_a_control_set_from_code_to_any_value_draws_or_names_the_rule(name):
    e = getattr(hw, name)()
    start_view = e.view.value
    for key, control in e.controls.items():
        start = control.value
        for v in ODD_VALUES:
            control.value = v  # must not raise
            view = e.view.value
            assert "<table" in view or "<img" in view or " must " in message(e), (key, v)
        control.value = start
        assert e.view.value == start_view, f"{name}: the view stayed stale after {key} moved back"
    key, control = next((k, c) for k, c in e.controls.items() if c.options is None)
    control.value = None
    assert f"{key} must " in message(e) and "got None" in message(e)


def test_loop_explorer_partial_output_is_the_sum_of_the_first_stamps():
    e = hw.loop_explorer()
    c = e.controls
    for x, k, s in product(hw.X_PRESETS, hw.K_PRESETS, range(1, 4)):
        c["x"].value, c["k"].value, c["stride"].value = x, k, s
        X, K = hw.X_PRESETS[x](), hw.K_PRESETS[k]()
        assert c["step"].max == X.numel()
        full = F.conv_transpose2d(X[None, None], K[None, None], stride=s)[0, 0]
        for step in range(X.numel() + 1):
            c["step"].value = step
            assert not message(e)
            flat = X.flatten().clone()
            flat[step:] = 0
            torch.testing.assert_close(
                grid(e, "output"), trans_conv(flat.reshape(X.shape), K, stride=s)
            )
            torch.testing.assert_close(grid(e, "input"), X)
        assert f"All stamps added: Y equals F.conv_transpose2d(X, K, stride={s})." in e.view.value
        torch.testing.assert_close(grid(e, "output"), full)


def test_loop_explorer_highlights_the_current_input_cell_and_its_window():
    e = hw.loop_explorer(x_preset="ones 3x3", k_preset="ones 2x2", stride=2, step=5)
    html = e.view.value
    assert "Step 5 of 9: X[1, 1] = 1 adds 1 \u00d7 K to Y[2:4, 2:4]." in html
    output_table = re.findall(r'<table data-role="output".*?</table>', html)[0]
    assert output_table.count("box-shadow") == 4  # the 2x2 window
    input_table = re.findall(r'<table data-role="input".*?</table>', html)[0]
    assert input_table.count("box-shadow") == 1


def test_changing_to_a_smaller_input_keeps_the_step_in_range():
    e = hw.loop_explorer(x_preset="0 to 24, 5x5", step=25)
    e.controls["x"].value = "d2l's [[0, 1], [2, 3]]"
    assert e.controls["step"].value == 4 and "Step 4 of 4" in e.view.value and not message(e)


def test_presets_use_the_subjects_words():
    names = [*hw.X_PRESETS, *hw.K_PRESETS, *hw.GRID_PRESETS, *hw.CHECKER_KERNELS]
    assert not [n for n in names if "seed" in n.lower()]


def test_explorer_keywords_are_checked():
    with pytest.raises(ValueError, match="x must be one of"):
        hw.loop_explorer(x_preset="no such preset")
    with pytest.raises(ValueError, match="k must be one of"):
        hw.loop_explorer(k_preset="no such preset")
    with pytest.raises(ValueError, match="stride must be an integer from 1 to 3"):
        hw.loop_explorer(stride=4)
    with pytest.raises(
        ValueError, match="step must be an integer from 0 to 4 in this explorer; got 5"
    ):
        hw.loop_explorer(step=5)
    with pytest.raises(
        ValueError, match="step must be an integer from 0 to 4 in this explorer; got -1"
    ):
        hw.loop_explorer(step=-1)
    with pytest.raises(ValueError, match="step must be an integer from 0 to 9 .* got '2'"):
        hw.loop_explorer(x_preset="ones 3x3", step="2")
    with pytest.raises(ValueError, match="factor must be one of \\[2, 4\\]"):
        hw.upsampling_explorer(factor=3)
    with pytest.raises(TypeError, match="flip must be True or False"):
        hw.equivalent_conv_explorer(flip=1)
    with pytest.raises(ValueError, match="cell must be one of"):
        hw.parameter_explorer(in_h=2, cell="X[2, 2]")


def test_an_impossible_combination_is_shown_in_words_not_raised():
    e = hw.parameter_explorer(stride=1, dilation=1, output_padding=0)
    e.controls["output_padding"].value = 1
    rule = "output_padding must be smaller than the stride or the dilation"
    assert rule in message(e)
    e.controls["output_padding"].value = 0
    assert not message(e)


@pytest.mark.slow  # left out by tasks.py test --quick
def test_parameter_explorer_over_random_combinations():
    """Grid equals F.conv_transpose2d, or the view names the rule that torch would also refuse."""
    import random

    e = hw.parameter_explorer()
    c = e.controls
    r = random.Random(0)
    shown = refused = 0
    for _ in range(800):
        for key in [
            "in_h",
            "in_w",
            "k_h",
            "k_w",
            "stride",
            "padding",
            "output_padding",
            "dilation",
        ]:
            c[key].value = r.randint(c[key].min, c[key].max)
        c["x"].value, c["k"].value = (
            r.choice(list(hw.GRID_PRESETS)),
            r.choice(list(hw.GRID_PRESETS)),
        )
        c["cell"].value = r.choice(c["cell"].options)
        X = hw.GRID_PRESETS[c["x"].value]((c["in_h"].value, c["in_w"].value))
        K = hw.GRID_PRESETS[c["k"].value]((c["k_h"].value, c["k_w"].value))
        args = {k: c[k].value for k in ["stride", "padding", "output_padding", "dilation"]}
        try:
            expected = F.conv_transpose2d(X[None, None], K[None, None], **args)[0, 0]
            valid = expected.numel() > 0
        except RuntimeError:
            valid = False
        if valid:
            assert not message(e), e.view.value
            torch.testing.assert_close(grid(e, "output"), expected)
            assert f"output Y: {expected.shape[0]}x{expected.shape[1]}" in e.view.value
            shown += 1
        else:
            assert "output_padding must be smaller" in message(e) or "crops the whole" in message(
                e
            ), e.view.value
            refused += 1
    assert shown > 250 and refused > 25


def test_parameter_explorer_shows_the_writes_of_the_chosen_cell():
    e = hw.parameter_explorer(
        in_h=2, in_w=2, k_h=2, k_w=2, stride=2, padding=0, output_padding=0, cell="X[1, 0]"
    )
    assert marked_cells(e, "output") == {(2, 0), (2, 1), (3, 0), (3, 1)}
    assert (
        "H_out = (i-1)*s - 2*p + d*(k-1) + output_padding + 1"
        " = (2-1)*2 - 2*0 + 1*(2-1) + 0 + 1 = 4" in e.view.value
    )
    assert (
        "nn.ConvTranspose2d(1, 1, kernel_size=(2, 2), stride=2, padding=0, output_padding=0,"
        " dilation=1" in e.view.value
    )


def test_parameter_explorer_cell_choice_follows_the_input_size():
    e = hw.parameter_explorer(cell="X[2, 2]")
    e.controls["in_h"].value = 2
    assert e.controls["cell"].value == "none" and "X[2, 2]" not in e.controls["cell"].options
    assert len(e.controls["cell"].options) == 1 + 2 * 3 and not message(e)


def test_ambiguity_explorer_lists_every_input_length():
    e = hw.ambiguity_explorer()
    c = e.controls
    for k, s, p, o in product(range(1, 6), range(1, 5), range(4), range(1, 7)):
        c["kernel_size"].value, c["stride"].value = k, s
        c["padding"].value, c["output_size"].value = p, o
        lengths = [int(n) for n in re.findall(r"n = (\d+): output_padding", e.view.value)]
        try:  # the transposed convolution's output without output_padding: the smallest length
            smallest = trans_conv_output_shape(o, k, s, p)[0]
        except ValueError:
            assert "crops the whole output" in message(e)
            continue
        assert not message(e) and lengths == list(range(smallest, smallest + s))
        assert all(conv_output_shape(n, k, s, p)[0] == o for n in lengths)


def marked_cells(explorer, role):
    table = re.findall(rf'<table data-role="{role}".*?</table>', explorer.view.value)[-1]
    rows = re.findall(r"<tr>(.*?)</tr>", table)
    return {
        (i, j)
        for i, row in enumerate(rows)
        for j, td in enumerate(re.findall(r"<td[^>]*>", row))
        if "box-shadow" in td
    }


@pytest.mark.slow  # left out by tasks.py test --quick
@pytest.mark.parametrize("show", hw.MATRIX_SHOW)
def test_matrix_explorer_rows_and_columns_match_the_convolution(show):
    e = hw.matrix_explorer(show=show)
    c = e.controls
    transposed = show != hw.MATRIX_SHOW[0]
    checked = 0
    for n, k, s, p in product(range(2, 6), range(1, 4), range(1, 4), range(3)):
        c["size"].value, c["kernel_size"].value, c["stride"].value, c["padding"].value = n, k, s, p
        if n + 2 * p < k:
            assert "input_shape is smaller than the dilated kernel" in message(e)
            continue
        assert not message(e)
        X, K = (
            torch.arange(1.0, n * n + 1).reshape(n, n),
            torch.arange(1.0, k * k + 1).reshape(k, k),
        )
        conv = F.conv2d(X[None, None], K[None, None], stride=s, padding=p)[0, 0]
        h_out = conv.shape[0]
        if transposed:
            y = torch.arange(1.0, h_out * h_out + 1).reshape(h_out, h_out)
            op = recovering_output_padding(n, k, s, p)[0]  # the rows the stride dropped
            expected = F.conv_transpose2d(
                y[None, None], K[None, None], stride=s, padding=p, output_padding=op
            )
            torch.testing.assert_close(grid(e, "output"), expected[0, 0])
            assert "W\u1d40 @ y equals F.conv_transpose2d" in e.view.value
        else:
            torch.testing.assert_close(grid(e, "output"), conv)
            assert "W @ x equals F.conv2d" in e.view.value
        W = kernel2matrix(K, (n, n), s, p)
        for option in c["select"].options[1:]:
            c["select"].value = option
            r, col = (int(v) for v in option[option.index("(") + 1 : -1].split(","))
            out_role, in_role = ("input", "output") if transposed else ("output", "input")
            if option.startswith("conv output"):
                reads = {divmod(int(q), n) for q in torch.nonzero(W[r * h_out + col]).flatten()}
                assert marked_cells(e, in_role) == reads and marked_cells(e, out_role) == {(r, col)}
            else:
                feeds = {divmod(int(q), h_out) for q in torch.nonzero(W[:, r * n + col]).flatten()}
                assert marked_cells(e, out_role) == feeds and marked_cells(e, in_role) == {(r, col)}
            checked += 1
        c["select"].value = "none"
    assert checked > 1000


def test_equivalent_conv_explorer_fails_without_the_flip():
    e = hw.equivalent_conv_explorer()
    c = e.controls
    for s, p in product(range(1, 4), range(3)):
        c["stride"].value, c["padding"].value = s, p
        for flip in (True, False):
            c["flip"].value = flip
            if s - 2 * p + 3 < 1:
                assert "crops the whole output" in message(e)
                continue
            verb = "equals" if flip else "differs from"
            assert f"the result {verb} the transposed convolution." in e.view.value
            if flip:
                torch.testing.assert_close(
                    grid(e, "output"), trans_conv(hw.EQUIV_X, hw.EQUIV_K, stride=s, padding=p)
                )


@pytest.mark.slow  # left out by tasks.py test --quick
def test_checkerboard_explorer_is_even_exactly_when_the_stride_divides_the_kernel():
    e = hw.checkerboard_explorer()
    c = e.controls
    assert (c["kernel_size"].min, c["kernel_size"].max, c["stride"].min, c["stride"].max) == (
        1,
        9,
        1,
        4,
    )
    for s, k, layers in product(range(1, 5), range(1, 10), range(1, 4)):
        c["stride"].value, c["kernel_size"].value, c["layers"].value = s, k, layers
        assert not message(e)
        side, margin = hw.checker_geometry(k, s, layers)
        counts = overlap_counts(side, k, s, layers)
        n = counts.shape[0]
        start = max(0, (n - hw.CHECKER_VIEW) // 2)
        shown = counts[
            start : start + min(n, hw.CHECKER_VIEW), start : start + min(n, hw.CHECKER_VIEW)
        ]
        torch.testing.assert_close(grid(e, "output", 0), shown.float())
        if layers == 1:
            assert ("overlap even" in e.view.value) == (k % s == 0), (s, k)
        inner = interior(counts, margin)
        assert inner.shape[0] < counts.shape[0]  # an interior is left
        assert ("overlap even" in e.view.value) == bool(inner.min() == inner.max())


def test_checkerboard_equal_phase_sums_keep_a_constant_input_flat():
    e = hw.checkerboard_explorer(kernel="equal phase sums")
    c = e.controls
    for s, k in product(range(1, 5), range(1, 10)):
        c["stride"].value, c["kernel_size"].value = s, k
        K = hw.equal_phase_kernel(k, s)
        torch.testing.assert_close(grid(e, "kernel", 0), K.float(), atol=0.005, rtol=0)
        if k < s:
            assert (
                f"{s * s - k * k} of the {s * s} phases" in e.view.value
                and "no tap" in e.view.value
            )
            continue
        sums = [float(K[r::s, q::s].sum()) for r in range(s) for q in range(s)]
        assert max(sums) - min(sums) < 1e-12
        Y = F.conv_transpose2d(
            torch.ones(1, 1, 24, 24, dtype=torch.float64), K[None, None], stride=s
        )[0, 0]
        inner = Y[k:-k, k:-k]
        assert float(inner.max() - inner.min()) < 1e-9
        assert f"all {s * s} sub-kernels" in e.view.value and "flat inside" in e.view.value
        assert re.search(r"interior output from (\S+) to \1<", e.view.value)
    e.controls["kernel"].value, c["stride"].value, c["kernel_size"].value = "ones", 2, 3
    assert "sum to 1 .. 4, so a constant input comes out uneven" in e.view.value


def test_checkerboard_explorer_covers_the_exercises_cases():
    e = hw.checkerboard_explorer(stride=3, kernel_size=6)
    assert "overlap even" in e.view.value
    e.controls["kernel_size"].value = 9
    assert "overlap even" in e.view.value
    e.controls["kernel_size"].value = 7
    assert "overlap uneven" in e.view.value


def test_upsampling_explorer_reports_the_psnr_of_each_method():
    e = hw.upsampling_explorer()
    x = sample_image()
    assert e._data["height"] * e._data["width"] == len(e._data["image"]) == x.numel()
    torch.testing.assert_close(torch.tensor(e._data["image"]).reshape(x.shape) / 255, x)
    for method, factor in product(METHODS, (2, 4)):
        e.controls["method"].value, e.controls["factor"].value = method, factor
        assert not message(e) and e.view.value.count("<img") == 4
        y = upsample(F.avg_pool2d(x[None, None], factor)[0, 0], method, factor)
        assert f"PSNR {psnr(x, y):.1f} dB" in e.view.value


def test_javascript_maths():
    """The ES modules' maths under Node's test runner (tests/js/*.test.mjs)."""
    node = shutil.which("node")
    if node is None:
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail("node is not installed (Debian/Ubuntu: apt-get install nodejs)")
        pytest.skip("node is not installed")
    files = sorted(str(p) for p in (ROOT / "tests" / "js").glob("*.test.mjs"))
    assert files, "no tests in tests/js"
    done = subprocess.run(
        [node, "--test", *files], check=False, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


@pytest.mark.parametrize("name", EXPLORERS)
def test_each_explorer_module_as_the_page_loads_it_parses(name, tmp_path):
    """The module anywidget sends (maths.js, ui.js and the explorer's file in one text) is valid
    JavaScript."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    module = tmp_path / f"{name}.mjs"
    module.write_text(getattr(hw, name)()._esm)
    done = subprocess.run(
        [node, "--check", str(module)], check=False, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_subpixel_explorer_phase_sums_decide_a_flat_output():
    e = hw.subpixel_explorer()
    c = e.controls
    for kernel, s, k in product(hw.SUBPIXEL_KERNELS, range(1, 5), range(1, 10)):
        c["kernel"].value, c["stride"].value, c["kernel_size"].value = kernel, s, k
        assert not message(e)
        K = hw.SUBPIXEL_KERNELS[kernel](k, s)
        n = hw.subpixel_side(k, s)
        Y = F.conv_transpose2d(
            torch.ones(1, 1, n, n, dtype=torch.float64), K[None, None], stride=s
        )[0, 0]
        torch.testing.assert_close(grid(e, "output"), Y.float(), atol=0.0051, rtol=0)  # 2 decimals
        if (
            kernel == "equal phase sums" and k >= s
        ):  # every phase shows the common sum away from the border
            total = float(K[::s, ::s].sum())
            assert all(
                ((Y[r::s, q::s] - total).abs() < 1e-9).any() for r in range(s) for q in range(s)
            )
        sums = [
            float(K[r::s, q::s].sum()) for r in range(s) for q in range(s) if K[r::s, q::s].numel()
        ]
        titles = re.findall(r"K\[(\d)::\d, (\d)::\d\], sum ([0-9.]+)", e.view.value)
        assert len(titles) == len(sums) and all(
            abs(float(t[2]) - v) < 0.006 for t, v in zip(titles, sums)
        )
        if k < s:
            assert f"{s * s - k * k} of the {s * s} phases have no taps" in e.view.value
            assert e.view.value.count("no taps</div>") == s * s - k * k
        elif max(sums) - min(sums) < 1e-9 * max(1, max(sums)):
            assert f"All {s * s} phase sums equal" in e.view.value
            # far from the borders of a larger constant input, the output is flat indeed
            Z = F.conv_transpose2d(
                torch.ones(1, 1, 12, 12, dtype=torch.float64), K[None, None], stride=s
            )[0, 0]
            inner = Z[k:-k, k:-k]
            assert float(inner.max() - inner.min()) < 1e-9
        else:
            assert "phase sums differ" in e.view.value
            Z = F.conv_transpose2d(
                torch.ones(1, 1, 12, 12, dtype=torch.float64), K[None, None], stride=s
            )[0, 0]
            inner = Z[k:-k, k:-k]
            assert float(inner.max() - inner.min()) > 1e-9
