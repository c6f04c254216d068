"""Explorers: they build with no arguments, every control moves the visible grid, nothing raises."""
import inspect
import re
from html import unescape
from itertools import product

import pytest
import torch

import helpers.widgets as hw
from helpers import trans_conv

EXPLORERS = [name for name, fn in inspect.getmembers(hw, inspect.isfunction) if name.endswith("_explorer")]


def grid(explorer, role):
    """The numbers of the table with data-role=`role` in the explorer's view, as a tensor."""
    tables = re.findall(rf'<table data-role="{role}"[^>]*>(.*?)</table>', explorer.view.value)
    assert tables, f"no {role} grid in the view"
    rows = re.findall(r"<tr>(.*?)</tr>", tables[-1])
    return torch.tensor([[float(unescape(c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", r)] for r in rows])


def error_shown(explorer):
    return "border-left:6px" in explorer.view.value


def test_explorers_exist():
    assert {"loop_explorer", "parameter_explorer", "ambiguity_explorer", "matrix_explorer",
            "equivalent_conv_explorer", "checkerboard_explorer", "upsampling_explorer"} <= set(EXPLORERS)


@pytest.mark.parametrize("name", EXPLORERS)
def test_explorer_builds_with_no_arguments(name):
    e = getattr(hw, name)()
    assert isinstance(e, hw.Explorer) and e.controls and not error_shown(e)
    assert "<table" in e.view.value or "<img" in e.view.value
    bundle = e._repr_mimebundle_()
    assert bundle["text/html"] == e.view.value and name in bundle["text/plain"]


@pytest.mark.parametrize("name", EXPLORERS)
def test_every_control_changes_the_view_across_its_range(name):
    e = getattr(hw, name)()
    for key, control in e.controls.items():
        if hasattr(control, "options"):
            values = list(control.options)
        elif isinstance(control.value, bool):
            values = [not control.value, control.value]
        else:
            values = list(range(control.min, control.max + 1))
        assert len(values) > 1, key
        start, seen = control.value, set()
        for v in values:
            control.value = v  # an exception here would escape the observer and fail the test
            if error_shown(e):
                assert " must " in e.view.value, (key, v)  # a rule, in words
            seen.add(e.view.value)
        assert len(seen) > 1, f"moving {key} never changed the view"
        control.value = start
        assert not error_shown(e), f"{name} did not recover when {key} moved back"


def test_loop_explorer_partial_output_is_the_sum_of_the_first_stamps():
    e = hw.loop_explorer()
    c = e.controls
    for x, k, s in product(hw.X_PRESETS, hw.K_PRESETS, range(1, 4)):
        c["x"].value, c["k"].value, c["stride"].value = x, k, s
        X, K = hw.X_PRESETS[x](), hw.K_PRESETS[k]()
        assert c["step"].max == c["play"].max == X.numel()
        full = trans_conv(X, K, stride=s)
        for step in range(X.numel() + 1):
            c["step"].value = step
            assert not error_shown(e)
            flat = X.flatten().clone()
            flat[step:] = 0
            torch.testing.assert_close(grid(e, "output"), trans_conv(flat.reshape(X.shape), K, stride=s))
            torch.testing.assert_close(grid(e, "input"), X)
        assert "Y equals F.conv_transpose2d" in e.view.value and ": True." in e.view.value
        torch.testing.assert_close(grid(e, "output"), full)


def test_loop_explorer_highlights_the_current_input_cell_and_its_window():
    e = hw.loop_explorer(x_preset="ones 3x3", k_preset="ones 2x2", stride=2, step=5)
    html = e.view.value
    assert "Step 5 of 9: X[1, 1] = 1 adds 1 \u00d7 K to Y[2:4, 2:4]." in html
    output_table = re.findall(r'<table data-role="output".*?</table>', html)[0]
    assert output_table.count("box-shadow") == 4  # the 2x2 window
    input_table = re.findall(r'<table data-role="input".*?</table>', html)[0]
    assert input_table.count("box-shadow") == 1


def test_play_drives_the_step():
    e = hw.loop_explorer()
    e.controls["play"].value = 3
    assert e.controls["step"].value == 3
    assert "Step 3 of 4" in e.view.value


def test_changing_to_a_smaller_input_keeps_the_step_in_range():
    e = hw.loop_explorer(x_preset="seed linspace(0, 24) 5x5", step=25)
    e.controls["x"].value = "seed [[0, 1], [2, 3]]"
    assert e.controls["step"].value <= 4 and "of 4" in e.view.value and not error_shown(e)


def test_explorer_keywords_are_checked():
    with pytest.raises(ValueError, match="x_preset must be one of"):
        hw.loop_explorer(x_preset="no such preset")
    with pytest.raises(ValueError, match="k_preset must be one of"):
        hw.loop_explorer(k_preset="no such preset")
    with pytest.raises(ValueError, match="stride must be 1, 2 or 3"):
        hw.loop_explorer(stride=4)


def test_an_impossible_combination_is_shown_in_words_not_raised():
    def render(n):
        if n > 1:
            raise ValueError("n must be at most 1")
        return "<table></table>"

    import ipywidgets as widgets

    e = hw.Explorer("demo", {"n": widgets.IntSlider(0, 0, 3)}, render)
    e.controls["n"].value = 2
    assert error_shown(e) and "n must be at most 1" in e.view.value
    e.controls["n"].value = 1
    assert not error_shown(e) and e.view.value == "<table></table>"


def test_parameter_explorer_over_random_combinations():
    """Grid equals F.conv_transpose2d, or the view names the rule that torch would also refuse."""
    import random

    import torch.nn.functional as F

    e = hw.parameter_explorer()
    c = e.controls
    r = random.Random(0)
    shown = refused = 0
    for _ in range(800):
        for key in ["in_h", "in_w", "k_h", "k_w", "stride", "padding", "output_padding", "dilation"]:
            c[key].value = r.randint(c[key].min, c[key].max)
        c["x"].value, c["k"].value = r.choice(list(hw.GRID_PRESETS)), r.choice(list(hw.GRID_PRESETS))
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
            assert not error_shown(e), e.view.value
            torch.testing.assert_close(grid(e, "output"), expected)
            assert f"output Y: {expected.shape[0]}x{expected.shape[1]}" in e.view.value
            shown += 1
        else:
            assert error_shown(e) and ("output_padding must be smaller" in e.view.value or "crops the whole" in e.view.value)
            refused += 1
    assert shown > 250 and refused > 25


def test_parameter_explorer_shows_the_writes_of_the_chosen_cell():
    e = hw.parameter_explorer(in_h=2, in_w=2, k_h=2, k_w=2, stride=2, padding=0, output_padding=0, cell="X[1, 0]")
    out = re.findall(r'<table data-role="output".*?</table>', e.view.value)[-1]
    rows = re.findall(r"<tr>(.*?)</tr>", out)
    marked = {(i, j) for i, row in enumerate(rows) for j, td in enumerate(re.findall(r"<td[^>]*>", row)) if "box-shadow" in td}
    assert marked == {(2, 0), (2, 1), (3, 0), (3, 1)}
    assert "H_out = (i-1)*s - 2*p + d*(k-1) + output_padding + 1 = (2-1)*2 - 2*0 + 1*(2-1) + 0 + 1 = 4" in e.view.value
    assert "nn.ConvTranspose2d(1, 1, kernel_size=(2, 2), stride=2, padding=0, output_padding=0, dilation=1" in e.view.value


def test_parameter_explorer_cell_choice_follows_the_input_size():
    e = hw.parameter_explorer(cell="X[2, 2]")
    e.controls["in_h"].value = 2
    assert e.controls["cell"].value == "none" and "X[2, 2]" not in e.controls["cell"].options
    assert len(e.controls["cell"].options) == 1 + 2 * 3 and not error_shown(e)


def test_ambiguity_explorer_lists_every_input_length():
    from helpers import conv_output_shape

    e = hw.ambiguity_explorer()
    c = e.controls
    for k, s, p, o in product(range(1, 6), range(1, 5), range(0, 4), range(1, 7)):
        c["kernel_size"].value, c["stride"].value, c["padding"].value, c["output_size"].value = k, s, p, o
        lengths = [int(n) for n in re.findall(r"n = (\d+): output_padding", e.view.value)]
        if error_shown(e):
            assert "crops the whole output" in e.view.value and (o - 1) * s - 2 * p + k < 1
            continue
        assert len(lengths) == s and lengths == list(range(lengths[0], lengths[0] + s))
        assert all(conv_output_shape(n, k, s, p)[0] == o for n in lengths)
        assert (o - 1) * s - 2 * p + k == lengths[0]


def marked_cells(explorer, role):
    table = re.findall(rf'<table data-role="{role}".*?</table>', explorer.view.value)[-1]
    rows = re.findall(r"<tr>(.*?)</tr>", table)
    return {(i, j) for i, row in enumerate(rows) for j, td in enumerate(re.findall(r"<td[^>]*>", row)) if "box-shadow" in td}


def test_matrix_explorer_rows_and_columns_match_the_convolution():
    import torch.nn.functional as F

    from helpers import kernel2matrix

    e = hw.matrix_explorer()
    c = e.controls
    checked = 0
    for n, k, s, p in product(range(2, 6), range(1, 4), range(1, 4), range(0, 3)):
        c["size"].value, c["kernel_size"].value, c["stride"].value, c["padding"].value = n, k, s, p
        if n + 2 * p < k:
            assert error_shown(e) and "input_shape is smaller than the dilated kernel" in e.view.value
            continue
        assert not error_shown(e)
        X, K = torch.arange(1.0, n * n + 1).reshape(n, n), torch.arange(1.0, k * k + 1).reshape(k, k)
        torch.testing.assert_close(grid(e, "output"), F.conv2d(X[None, None], K[None, None], stride=s, padding=p)[0, 0])
        W = kernel2matrix(K, (n, n), s, p)
        h_out = grid(e, "output").shape[1]
        for option in c["select"].options[1:]:
            c["select"].value = option
            r, col = (int(v) for v in option[option.index("(") + 1:-1].split(","))
            if option.startswith("conv output"):
                reads = {divmod(int(q), n) for q in torch.nonzero(W[r * h_out + col]).flatten()}
                assert marked_cells(e, "input") == reads and marked_cells(e, "output") == {(r, col)}
            else:
                feeds = {divmod(int(q), h_out) for q in torch.nonzero(W[:, r * n + col]).flatten()}
                assert marked_cells(e, "output") == feeds and marked_cells(e, "input") == {(r, col)}
            checked += 1
    assert checked > 1000


def test_equivalent_conv_explorer_fails_without_the_flip():
    e = hw.equivalent_conv_explorer()
    c = e.controls
    for s, p in product(range(1, 4), range(0, 3)):
        c["stride"].value, c["padding"].value = s, p
        for flip in (True, False):
            c["flip"].value = flip
            if s - 2 * p + 3 < 1:
                assert error_shown(e) and "crops the whole output" in e.view.value
                continue
            assert f"equal to the transposed convolution: {flip}." in e.view.value
            if flip:
                torch.testing.assert_close(grid(e, "output"), trans_conv(hw.EQUIV_X, hw.EQUIV_K, stride=s, padding=p))


def test_checkerboard_explorer_is_even_exactly_when_the_stride_divides_the_kernel():
    from helpers import interior, overlap_counts

    e = hw.checkerboard_explorer()
    c = e.controls
    for s, k, layers in product(range(1, 4), range(1, 6), range(1, 4)):
        c["stride"].value, c["kernel_size"].value, c["layers"].value = s, k, layers
        assert not error_shown(e)
        counts = overlap_counts(hw.CHECKER_INPUT, k, s, layers)
        n = counts.shape[0]
        start = max(0, (n - hw.CHECKER_VIEW) // 2)
        shown = counts[start:start + min(n, hw.CHECKER_VIEW), start:start + min(n, hw.CHECKER_VIEW)]
        tables = re.findall(r'<table data-role="output"[^>]*>(.*?)</table>', e.view.value)
        first = torch.tensor([[float(v) for v in re.findall(r"<td[^>]*>(.*?)</td>", r)]
                              for r in re.findall(r"<tr>(.*?)</tr>", tables[0])])
        torch.testing.assert_close(first, shown.float())
        if layers == 1:
            assert ("overlap even" in e.view.value) == (k % s == 0), (s, k)
        inner = interior(counts, k * s ** (layers - 1))
        assert ("overlap even" in e.view.value) == bool(inner.min() == inner.max())


def test_upsampling_explorer_reports_the_psnr_of_each_method():
    import torch.nn.functional as F

    from helpers.upsampling import METHODS, psnr, sample_image, upsample

    e = hw.upsampling_explorer()
    x = sample_image()
    for method, factor in product(METHODS, (2, 4)):
        e.controls["method"].value, e.controls["factor"].value = method, factor
        assert not error_shown(e) and e.view.value.count("<img") == 4
        y = upsample(F.avg_pool2d(x[None, None], factor)[0, 0], method, factor)
        assert f"PSNR {psnr(x, y):.1f} dB" in e.view.value
