// parameter_explorer: every parameter of nn.ConvTranspose2d on one grid.
import { crop, shape, transConv, transConvFull, transConvSize } from "./maths.js";
import { fmt, gridHtml, mount, panelsHtml, textHtml } from "./ui.js";

export function gridPreset(name, h, w, data) {
  if (name === "1, 2, 3, ...") return Array.from({ length: h }, (_, i) => Array.from({ length: w }, (_, j) => i * w + j + 1));
  if (name === "ones") return Array.from({ length: h }, () => new Array(w).fill(1));
  return crop(data.random, 0, 0, h, w);
}

export function cellOptions(h, w) {
  const options = ["none"];
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) options.push(`X[${i}, ${j}]`);
  return options;
}

export function parameterView(v, data) {
  const X = gridPreset(v.x, v.in_h, v.in_w, data), K = gridPreset(v.k, v.k_h, v.k_w, data);
  const s = v.stride, p = v.padding, op = v.output_padding, d = v.dilation;
  const Y = transConv(X, K, { stride: s, padding: p, outputPadding: op, dilation: d });
  const full = transConvFull(X, K, { stride: s, outputPadding: op, dilation: d });
  const [hOut, wOut] = shape(Y);
  const chosen = [];
  for (let i = 0; i < v.in_h; i++) for (let j = 0; j < v.in_w; j++) if (v.cell === `X[${i}, ${j}]`) chosen.push([i, j]);
  const writesFull = [];
  for (const [i, j] of chosen) {
    for (let a = 0; a < v.k_h; a++) for (let b = 0; b < v.k_w; b++) writesFull.push([i * s + a * d, j * s + b * d]);
  }
  const writes = writesFull.map(([r, q]) => [r - p, q - p]).filter(([r, q]) => r >= 0 && r < hOut && q >= 0 && q < wOut);
  const flat = full.flat(), lo = Math.min(0, ...flat), hi = Math.max(1, ...flat);
  const panels = [gridHtml(X, "input X", "input", { highlight: chosen }), gridHtml(K, "kernel K", "kernel")];
  if (p) {
    const [fh, fw] = shape(full), cropped = [];
    for (let r = 0; r < fh; r++) {
      for (let q = 0; q < fw; q++) if (!(r >= p && r < p + hOut && q >= p && q < p + wOut)) cropped.push([r, q]);
    }
    panels.push(gridHtml(full, `before cropping: padding=${p} removes the faded border`, "output",
      { vmin: lo, vmax: hi, highlight: writesFull, dim: cropped, cellPx: Math.min(40, Math.floor(560 / fw)) }));
  }
  panels.push(gridHtml(Y, `output Y: ${hOut}x${wOut}`, "output", { vmin: lo, vmax: hi, highlight: writes }));
  let caption = "";
  if (chosen.length) {
    const [i, j] = chosen[0], taps = v.k_h * v.k_w;
    caption = `${v.cell} = ${fmt(X[i][j])} stamps ${taps} kernel taps; ${writes.length} land in Y (framed)`
      + (writes.length < taps ? `, ${taps - writes.length} in the cropped border.` : ".");
  }
  const lines = [["H", v.in_h, v.k_h], ["W", v.in_w, v.k_w]].map(([axis, i, k]) =>
    `${axis}_out = (i-1)*s - 2*p + d*(k-1) + output_padding + 1 = (${i}-1)*${s} - 2*${p} + ${d}*(${k}-1) + ${op} + 1 `
    + `= ${transConvSize(i, k, s, p, op, d)}`);
  lines.push(`nn.ConvTranspose2d(1, 1, kernel_size=(${v.k_h}, ${v.k_w}), stride=${s}, padding=${p}, `
    + `output_padding=${op}, dilation=${d}, bias=False)`);
  return panelsHtml(panels, caption, textHtml(lines));
}

const sizeOk = (n) => Number.isInteger(n) && n >= 1 && n <= 5;

export const parameter = {
  view: parameterView,
  live: (v) => ({ cell: { options: cellOptions(sizeOk(v.in_h) ? v.in_h : 0, sizeOk(v.in_w) ? v.in_w : 0) } }),
  adjust(v) {
    const options = cellOptions(sizeOk(v.in_h) ? v.in_h : 0, sizeOk(v.in_w) ? v.in_w : 0);
    return options.length > 1 && !options.includes(v.cell) ? { cell: "none" } : {};
  },
};

export default { render({ model, el }) { mount(model, el, parameter); } };
