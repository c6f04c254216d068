"""Every explorer's ES module in Chromium, on a page of its own, against Python and torch: for
hundreds of random states, every number in the page's view equals the static view Python draws
for the same state (helpers), and the main grids equal torch.nn.functional's.

No server: each module is rendered, as the notebook's widget state carries it, with a minimal
model (get/set/on/save_changes). Without Chromium these tests are skipped, unless REQUIRE_BROWSER
is set (as .ci/run does), when they fail.
"""

import inspect
import json
import random

import pytest

pytestmark = pytest.mark.slow

STATES = 200
MOUNT = """async ([esm, state, data, controls, name]) => {
  const url = URL.createObjectURL(new Blob([esm], {type: 'text/javascript'}));
  const mod = await import(url);
  const listeners = {};
  const values = {...state, _data: data, _controls: controls, _name: name};
  window.__model = {values, listeners,
    get: (k) => values[k], set: (k, v) => { values[k] = v; },
    save_changes() {}, send() {}, off() {},
    on: (event, f) => { (listeners[event] = listeners[event] || []).push(f); }};
  const el = document.createElement('div');
  document.body.append(el);
  mod.default.render({model: window.__model, el});
}"""
READ = """([state, expected]) => {
  const m = window.__model;
  Object.assign(m.values, state);
  // one redraw, as after a move
  (m.listeners['change:' + Object.keys(state)[0]] || []).forEach(f => f());
  const read = (root) => ({
    tables: [...root.querySelectorAll('table[data-role]')].map(t => [t.dataset.role,
      [...t.rows].map(r => [...r.cells].map(c => c.textContent))]),
    text: root.textContent.replace(/\\s+/g, ' ').trim()});
  const python = document.createElement('div');
  python.innerHTML = expected;
  return {page: read(document.querySelector('.tc-view')), python: read(python)};
}"""


def random_state(explorer, rng):
    """A state drawn control by control from each control's range or (current) options."""
    values = {}
    for name, spec in explorer.CONTROLS.items():
        spec = {**spec, **explorer.live({**explorer.values(), **values}).get(name, {})}
        if spec["kind"] == "range":
            values[name] = rng.randrange(spec["min"], spec["max"] + 1, spec.get("step", 1))
        elif spec["kind"] == "select":
            values[name] = rng.choice(spec["options"])
        else:
            values[name] = rng.random() < 0.5
    return values


def explorer_names():
    import helpers.widgets as hw

    functions = inspect.getmembers(hw, inspect.isfunction)
    return [name for name, _ in functions if name.endswith("_explorer")]


EXPLORER_NAMES = explorer_names()


@pytest.mark.parametrize("name", EXPLORER_NAMES)
def test_every_number_in_the_page_agrees_with_python_and_torch(name, browser, torch_grids):
    import helpers.widgets as hw
    from helpers.plots import fmt

    explorer = getattr(hw, name)()
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        page.set_content("<html><body></body></html>")
        model = [explorer._esm, explorer.values(), explorer._data, explorer._controls]
        page.evaluate(MOUNT, [*model, explorer.NAME])
        rng, cache, mismatches, drawn = random.Random(name), {}, [], 0
        for _ in range(STATES):
            state = random_state(explorer, rng)
            key = json.dumps(state, sort_keys=True)
            if key not in cache:
                with explorer.hold_trait_notifications():
                    for k, v in state.items():
                        setattr(explorer, k, v)
                cache[key] = explorer.snapshot()
            got = page.evaluate(READ, [state, cache[key]])
            if got["page"] != got["python"]:
                mismatches.append((state, got))
            if 'data-role="message"' not in cache[key]:
                drawn += 1
            tables = {}
            for role, rows in got["page"]["tables"]:
                tables.setdefault(role, []).append(rows)
            for (role, index), expected in torch_grids(name, state).items():
                rows = tables[role][index]
                want = [[fmt(t) for t in row] for row in expected.tolist()]
                if expected.abs().max() > 0 and all(all(c == "" for c in r) for r in rows):
                    continue  # a grid drawn without numbers
                if rows != want:
                    mismatches.append((state, {"torch": want, "page": rows}))
        assert not errors, errors
        assert not mismatches, (
            f"{len(mismatches)} of {STATES} states differ; the first: {mismatches[0]}"
        )
        assert drawn > STATES // 4, f"only {drawn} of {STATES} random states draw a grid"
    finally:
        page.close()
