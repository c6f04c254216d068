// Drawing and controls shared by every explorer: the same HTML as helpers.plots (grid_html,
// panels_html, text_html, message_html, strip_html), so the live view and the static snapshot
// look alike, and `mount`, which builds native controls bound to the widget's model.

export const ROLE_COLORS = { input: "#0072B2", kernel: "#E69F00", output: "#009E73", highlight: "#D55E00" };
const VIRIDIS = "44015444025645045745055946075a46085c460a5d460b5e470d60470e6147106347116447136548146748166848176948186a481a6c481b6d481c6e481d6f481f70482071482173482374482475482576482677482878482979472a7a472c7a472d7b472e7c472f7d46307e46327e46337f463480453581453781453882443983443a83443b84433d84433e85423f854240864241864142874144874045884046883f47883f48893e49893e4a893e4c8a3d4d8a3d4e8a3c4f8a3c508b3b518b3b528b3a538b3a548c39558c39568c38588c38598c375a8c375b8d365c8d365d8d355e8d355f8d34608d34618d33628d33638d32648e32658e31668e31678e31688e30698e306a8e2f6b8e2f6c8e2e6d8e2e6e8e2e6f8e2d708e2d718e2c718e2c728e2c738e2b748e2b758e2a768e2a778e2a788e29798e297a8e297b8e287c8e287d8e277e8e277f8e27808e26818e26828e26828e25838e25848e25858e24868e24878e23888e23898e238a8d228b8d228c8d228d8d218e8d218f8d21908d21918c20928c20928c20938c1f948c1f958b1f968b1f978b1f988b1f998a1f9a8a1e9b8a1e9c891e9d891f9e891f9f881fa0881fa1881fa1871fa28720a38620a48621a58521a68522a78522a88423a98324aa8325ab8225ac8226ad8127ad8128ae8029af7f2ab07f2cb17e2db27d2eb37c2fb47c31b57b32b67a34b67935b77937b87838b9773aba763bbb753dbc743fbc7340bd7242be7144bf7046c06f48c16e4ac16d4cc26c4ec36b50c46a52c56954c56856c66758c7655ac8645cc8635ec96260ca6063cb5f65cb5e67cc5c69cd5b6ccd5a6ece5870cf5773d05675d05477d1537ad1517cd2507fd34e81d34d84d44b86d54989d5488bd6468ed64590d74393d74195d84098d83e9bd93c9dd93ba0da39a2da37a5db36a8db34aadc32addc30b0dd2fb2dd2db5de2bb8de29bade28bddf26c0df25c2df23c5e021c8e020cae11fcde11dd0e11cd2e21bd5e21ad8e219dae319dde318dfe318e2e418e5e419e7e419eae51aece51befe51cf1e51df4e61ef6e620f8e621fbe723fde725";
export const PALETTE = Array.from({ length: 256 }, (_, k) => "#" + VIRIDIS.slice(6 * k, 6 * k + 6));

export function escapeHtml(text) {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#x27;");
}

// Round half to even, as torch.round and Python's format do on exact ties.
export function roundHalfEven(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// x with d decimals, as Python's format writes it: the nearest decimal to the exact binary value,
// and on an exact tie the even one (toFixed would pick the one away from zero)
export function toFixedEven(x, d) {
  const rounded = x.toFixed(d), exact = x.toFixed(Math.min(100, d + 60)), point = exact.indexOf(".");
  const rest = exact.slice(point + d + 1);
  if (/^50*$/.test(rest) && Number(rounded[rounded.length - 1]) % 2 === 1) {
    return exact.slice(0, d > 0 ? point + d + 1 : point); // the even neighbour: the exact value cut short
  }
  return rounded;
}

// helpers.plots.fmt: whole numbers without decimals, others with two
export function fmt(v) {
  if (Math.abs(v - Math.round(v)) < 1e-6) return String(Math.round(v) + 0);
  return toFixedEven(v, 2);
}

export function fixed2(x) {
  return toFixedEven(x, 2);
}

// Python's "%g": six significant digits, without trailing zeros (for numbers below a million)
export function g(x) {
  if (x === 0) return "0";
  const e = Math.floor(Math.log10(Math.abs(x)));
  const text = toFixedEven(x, Math.max(0, 5 - e));
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

// Python's repr of a control value, so that refusals read as the Python side's do
export function pyRepr(v) {
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "string") return `'${v}'`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  if (typeof v === "number" && !Number.isInteger(v)) return String(v);
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

function range(A, vmin, vmax) {
  let lo = vmin, hi = vmax;
  if (lo === undefined || hi === undefined) {
    let min = Infinity, max = -Infinity;
    for (const row of A) for (const v of row) { if (v < min) min = v; if (v > max) max = v; }
    if (lo === undefined) lo = min;
    if (hi === undefined) hi = max;
  }
  return [lo, hi > lo ? hi : lo + 1];
}

const STYLES = new Map();
function cellStyles(px) {
  if (!STYLES.has(px)) {
    STYLES.set(px, PALETTE.map((c, k) => `width:${px}px;height:${px}px;padding:0;text-align:center;background:${c};`
      + `color:${k > 153 ? "#000" : "#fff"};`));
  }
  return STYLES.get(px);
}

// helpers.plots.grid_html: a grid as a table of coloured cells with their numbers
export function gridHtml(A, title, role = "output", opts = {}) {
  const { vmin, vmax, highlight = [], dim = [], numbers } = opts;
  const [lo, hi] = range(A, vmin, vmax);
  const w = A.length ? A[0].length : 0;
  const px = opts.cellPx ?? Math.max(24, Math.min(46, Math.floor(560 / Math.max(w, 1))));
  const font = Math.max(11, roundHalfEven(px * 0.4));
  const showNumbers = numbers ?? px >= 20;
  const whole = A.every((row) => row.every((v) => Math.abs(v - roundHalfEven(v)) < 1e-6));
  const styles = cellStyles(px);
  const marked = new Set(highlight.map(([i, j]) => `${i},${j}`));
  const faded = new Set(dim.map(([i, j]) => `${i},${j}`));
  const frame = `box-shadow:inset 0 0 0 ${px >= 20 ? 4 : 2}px ${ROLE_COLORS.highlight};`;
  const rows = A.map((row, i) => "<tr>" + row.map((v, j) => {
    const shade = roundHalfEven(Math.min(Math.max((v - lo) / (hi - lo), 0), 1) * 255);
    const text = !showNumbers ? "" : whole ? String(roundHalfEven(v) + 0) : fmt(v);
    const key = `${i},${j}`;
    const extra = (marked.has(key) ? frame : "") + (faded.has(key) ? "opacity:0.3;" : "");
    return `<td style="${styles[shade]}${extra}">${text}</td>`;
  }).join("") + "</tr>").join("");
  const color = ROLE_COLORS[role];
  return `<div style="margin:4px 14px 4px 0"><div style="color:${color};font-weight:bold;font-size:18px;`
    + `margin-bottom:4px">${escapeHtml(title)}</div><table data-role="${role}" style="border-collapse:collapse;`
    + `border:3px solid ${color};font:bold ${font}px/1 sans-serif;text-align:center">${rows}</table></div>`;
}

// helpers.plots.panels_html
export function panelsHtml(panels, caption = "", below = "") {
  const cap = (caption ? `<div style="font-size:18px;margin-top:8px">${escapeHtml(caption)}</div>` : "") + below;
  return '<div style="background:#fff;color:#111;padding:10px;font-family:sans-serif">'
    + `<div style="display:flex;flex-wrap:wrap;align-items:flex-start">${panels.join("")}</div>${cap}</div>`;
}

// helpers.plots.text_html
export function textHtml(lines) {
  return `<div style="font:17px/1.5 monospace;margin-top:8px">${lines.map(escapeHtml).join("<br>")}</div>`;
}

// helpers.plots.message_html: what cannot be drawn and why
export function messageHtml(text) {
  return '<div data-role="message" style="background:#fff;color:#8a1c00;padding:10px;font:18px sans-serif;'
    + `border-left:6px solid ${ROLE_COLORS.highlight}">${escapeHtml(text)}</div>`;
}

// helpers.plots.strip_html: one axis of a convolution's input with its zero padding
export function stripHtml(n, padding, read, px = 34) {
  const cells = [];
  for (let c = -padding; c < n + padding; c++) {
    const pad = c < 0 || c >= n;
    const style = `width:${px}px;height:${px}px;padding:0;text-align:center;font:bold 15px sans-serif;`
      + (pad ? "background:#ddd;color:#555;border:2px dashed #999;"
        : `background:${ROLE_COLORS.input};color:#fff;border:2px solid #fff;`)
      + (read.has(c) ? "" : "opacity:0.25;");
    cells.push(`<td style="${style}">${pad ? "" : c}</td>`);
  }
  return `<table data-role="strip" style="border-collapse:collapse"><tr>${cells.join("")}</tr></table>`;
}

// A picture (flat values, h x w) as a canvas enlarged `scale` times: gray, or the palette when colored
export function imagePanel(id, title, role, h, w, scale) {
  const color = ROLE_COLORS[role];
  return `<div style="margin:4px 14px 4px 0"><div style="color:${color};font-weight:bold;font-size:18px;`
    + `margin-bottom:4px">${escapeHtml(title)}</div><canvas data-role="${role}" data-image="${id}" width="${w}" `
    + `height="${h}" style="width:${w * scale}px;height:${h * scale}px;border:3px solid ${color};`
    + `image-rendering:pixelated"></canvas></div>`;
}

export function paintImage(canvas, values, vmin = 0, vmax = 1, colored = false) {
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(canvas.width, canvas.height);
  for (let k = 0; k < values.length; k++) {
    const t = roundHalfEven(Math.min(Math.max((values[k] - vmin) / (vmax - vmin), 0), 1) * 255);
    if (colored) {
      const c = PALETTE[t];
      image.data.set([parseInt(c.slice(1, 3), 16), parseInt(c.slice(3, 5), 16), parseInt(c.slice(5, 7), 16), 255], 4 * k);
    } else {
      image.data.set([t, t, t, 255], 4 * k);
    }
  }
  ctx.putImageData(image, 0, 0);
}

// The rule a control value breaks, in the Python side's words, or null when every value is allowed.
// `specs` come from Python (name, kind, label, min, max, options); `live` overrides options or max.
export function problem(specs, live, values) {
  for (const spec of specs) {
    const v = values[spec.name], now = { ...spec, ...(live[spec.name] || {}) };
    const step = now.step || 1;
    if (now.kind === "range" && !(Number.isInteger(v) && v >= now.min && v <= now.max && (v - now.min) % step === 0)) {
      if (step > 1) {
        const allowed = [];
        for (let t = now.min; t <= now.max; t += step) allowed.push(t);
        return `${spec.name} must be one of ${pyRepr(allowed)} in this explorer; got ${pyRepr(v)}`;
      }
      return `${spec.name} must be an integer from ${now.min} to ${now.max} in this explorer; got ${pyRepr(v)}`;
    }
    if (now.kind === "select" && !now.options.includes(v)) {
      return `${spec.name} must be one of ${pyRepr(now.options)}; got ${pyRepr(v)}`;
    }
    if (now.kind === "checkbox" && typeof v !== "boolean") {
      return `${spec.name} must be True or False; got ${pyRepr(v)}`;
    }
  }
  return null;
}

// Build the controls and the view of one explorer in `el`, bound to the widget's model.
// `explorer` = { view(values, data) -> HTML string or {html, paint(viewElement)},
//                live(values, data) -> {name: {options} or {max}} (optional),
//                adjust(values, data) -> values that follow a move (optional),
//                extra(api) (optional: more buttons, e.g. Play) }.
export function mount(model, el, explorer) {
  const specs = model.get("_controls"), data = model.get("_data");
  el.classList.add("tc-explorer");
  el.dataset.explorer = model.get("_name");
  const bar = document.createElement("div"), view = document.createElement("div");
  bar.className = "tc-controls";
  view.className = "tc-view";
  el.append(bar, view);
  const inputs = {};
  let setting = false;
  const values = () => Object.fromEntries(specs.map((s) => [s.name, model.get(s.name)]));

  function set(changes) {
    const all = { ...values(), ...changes };
    Object.assign(changes, explorer.adjust ? explorer.adjust(all, data) : {});
    setting = true;
    for (const [name, value] of Object.entries(changes)) model.set(name, value);
    setting = false;
    model.save_changes();
    draw();
  }

  for (const spec of specs) {
    const label = document.createElement("label");
    const input = document.createElement(spec.kind === "select" ? "select" : "input");
    input.name = spec.name;
    // keys pressed on a control move the control: JupyterLab's notebook shortcuts (arrows, letters) stand back
    input.setAttribute("data-lm-suppress-shortcuts", "true");
    label.append(spec.label + " ", input);
    if (spec.kind === "range") {
      Object.assign(input, { type: "range", min: spec.min, max: spec.max, step: spec.step || 1 });
      const out = document.createElement("output");
      label.append(out);
      input.addEventListener("input", () => set({ [spec.name]: Number(input.value) }));
    } else if (spec.kind === "checkbox") {
      input.type = "checkbox";
      input.addEventListener("change", () => set({ [spec.name]: input.checked }));
    } else {
      input.addEventListener("change", () => set({ [spec.name]: input.options_[input.selectedIndex] }));
    }
    inputs[spec.name] = input;
    bar.append(label);
    model.on(`change:${spec.name}`, () => { if (!setting) draw(); });
  }
  if (explorer.extra) explorer.extra({ bar, values, set, data });

  function draw() {
    const v = values(), live = explorer.live ? explorer.live(v, data) : {};
    for (const spec of specs) {
      const input = inputs[spec.name], now = { ...spec, ...(live[spec.name] || {}) }, value = v[spec.name];
      if (spec.kind === "range") {
        input.max = now.max;
        if (Number.isInteger(value)) input.value = value;
        input.nextSibling.textContent = Number.isInteger(value) ? value : "?";
      } else if (spec.kind === "checkbox") {
        input.checked = value === true;
      } else {
        if (input.dataset.options !== now.options.join("\n")) {
          input.replaceChildren(...now.options.map((o) => new Option(String(o), String(o))));
          input.dataset.options = now.options.join("\n");
          input.options_ = now.options;
        }
        input.selectedIndex = now.options.indexOf(value);
      }
    }
    const rule = problem(specs, live, v);
    let result;
    try {
      result = rule ? messageHtml(rule) : explorer.view(v, data);
    } catch (err) {
      result = messageHtml(err.message);
    }
    view.innerHTML = typeof result === "string" ? result : result.html;
    if (result.paint) result.paint(view);
  }
  draw();
  return draw;
}
