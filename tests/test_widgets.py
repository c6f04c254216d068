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
    assert "loop_explorer" in EXPLORERS


@pytest.mark.parametrize("name", EXPLORERS)
def test_explorer_builds_with_no_arguments(name):
    e = getattr(hw, name)()
    assert isinstance(e, hw.Explorer) and e.controls and not error_shown(e)
    assert "<table" in e.view.value
    bundle = e._repr_mimebundle_()
    assert bundle["text/html"] == e.view.value and name in bundle["text/plain"]


@pytest.mark.parametrize("name", EXPLORERS)
def test_every_control_changes_the_view_across_its_range(name):
    e = getattr(hw, name)()
    for key, control in e.controls.items():
        if hasattr(control, "options"):
            values = list(control.options)
        else:
            values = list(range(control.min, control.max + 1))
        assert len(values) > 1, key
        seen = set()
        for v in values:
            control.value = v
            assert not error_shown(e), (key, v)
            seen.add(e.view.value)
        assert len(seen) > 1, f"moving {key} never changed the view"


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
