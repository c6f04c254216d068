// matrix_explorer: the convolution matrix W (and W^T) beside the grids it multiplies.
import { conv2d, convMatrix, convSize, matVec, recoveringOutputPadding, reshape, transConv, transpose } from "./maths.js";
import { gridHtml, mount, panelsHtml, textHtml } from "./ui.js";

export const SHOW = ["W and W x", "W\u1d40 and W\u1d40 y"];

const counting = (h, w) => Array.from({ length: h }, (_, i) => Array.from({ length: w }, (_, j) => i * w + j + 1));
const equal = (A, B) => A.length === B.length && A.every((row, i) => row.every((v, j) => v === B[i][j]));

export function matrixOptions(n, k, s, p) {
  let hOut = 0;
  try { hOut = convSize(n, k, s, p); } catch { hOut = 0; }
  const options = ["none"];
  for (let r = 0; r < hOut; r++) for (let c = 0; c < hOut; c++) options.push(`conv output (${r}, ${c})`);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) options.push(`conv input (${i}, ${j})`);
  return options;
}

function nonzero(list) {
  return list.flatMap((v, q) => (v !== 0 ? [q] : []));
}

export function matrixView(v) {
  const n = v.size, k = v.kernel_size, s = v.stride, p = v.padding;
  const K = counting(k, k), W = convMatrix(K, n, n, s, p), h = convSize(n, k, s, p);
  const transposed = v.show === SHOW[1];
  const x = counting(n, n), y = counting(h, h);
  const Wx = reshape(matVec(W, x.flat()), h, h), Wty = reshape(matVec(transpose(W), y.flat()), n, n);
  const cut = (q, side) => [Math.floor(q / side), q % side];
  let xMark = [], yMark = [], wDim = [], caption = "Choose a row (conv output) or a column (conv input) of W.";
  const [rowsW, colsW] = [W.length, W[0].length];
  const dimExcept = (keepRow, keepCol) => {
    const out = [];
    for (let a = 0; a < (transposed ? colsW : rowsW); a++) {
      for (let b = 0; b < (transposed ? rowsW : colsW); b++) {
        if ((keepRow !== null && a !== keepRow) || (keepCol !== null && b !== keepCol)) out.push([a, b]);
      }
    }
    return out;
  };
  const at = (text) => text.slice(text.indexOf("(") + 1, -1).split(",").map(Number);
  if (v.select.startsWith("conv output")) {
    const [r, c] = at(v.select), q = r * h + c;
    xMark = nonzero(W[q]).map((col) => cut(col, n));
    yMark = [[r, c]];
    if (transposed) {
      wDim = dimExcept(null, q);
      caption = `Column ${q} of W\u1d40 is the stamp of y[${r}, ${c}]: W\u1d40 y adds y[${r}, ${c}] \u00d7 K to the `
        + `${xMark.length} framed output cells, the cells that conv output (${r}, ${c}) reads (row ${q} of W).`;
    } else {
      wDim = dimExcept(q, null);
      caption = `Row ${q} of W is conv output (${r}, ${c}): it reads the ${xMark.length} framed input cells `
        + `(W x gathers). Read as column ${q} of W\u1d40, it is the stamp that y[${r}, ${c}] adds in the `
        + "transposed convolution.";
    }
  } else if (v.select.startsWith("conv input")) {
    const [i, j] = at(v.select), q = i * n + j;
    yMark = nonzero(W.map((row) => row[q])).map((row) => cut(row, h));
    xMark = [[i, j]];
    if (transposed) {
      wDim = dimExcept(q, null);
      caption = `Row ${q} of W\u1d40 is output cell (${i}, ${j}) of W\u1d40 y: it gathers from the ${yMark.length} `
        + `framed cells of y, the cells that conv input (${i}, ${j}) feeds (column ${q} of W).`;
    } else {
      wDim = dimExcept(null, q);
      caption = `Column ${q} of W is conv input (${i}, ${j}): it feeds the ${yMark.length} framed output cells. `
        + `In the transposed convolution W\u1d40 y, output cell (${i}, ${j}) gathers from exactly those cells of y.`;
    }
  }
  const M = transposed ? transpose(W) : W;
  const wPx = Math.max(8, Math.min(30, Math.floor(520 / Math.max(rowsW, colsW))));
  const name = transposed ? "W\u1d40" : "W";
  const matrix = gridHtml(M, `${name}: ${M.length}x${M[0].length}`, "kernel", { vmin: 0, vmax: k * k, dim: wDim, cellPx: wPx });
  const kernel = gridHtml(K, `kernel K: ${k}x${k}`, "kernel", { cellPx: 40 });
  const lines = [`W = helpers.kernel2matrix(K, (${n}, ${n}), stride=${s}, padding=${p})`];
  let panels;
  if (transposed) {
    const op = recoveringOutputPadding(n, k, s, p);
    const same = equal(Wty, transConv(y, K, { stride: s, padding: p, outputPadding: op }));
    panels = [gridHtml(y, `input y: ${h}x${h}`, "input", { highlight: yMark, cellPx: 40 }), kernel, matrix,
      gridHtml(Wty, `output W\u1d40 y: ${n}x${n}`, "output", { highlight: xMark, cellPx: 40 })];
    lines.push(`W\u1d40 @ y ${same ? "equals" : "differs from"} F.conv_transpose2d(y, K, stride=${s}, padding=${p}, `
      + `output_padding=${op})`);
  } else {
    const same = equal(Wx, conv2d(x, K, s, p));
    panels = [gridHtml(x, `input x: ${n}x${n}`, "input", { highlight: xMark, cellPx: 40 }), kernel, matrix,
      gridHtml(Wx, `output y = W x: ${h}x${h}`, "output", { highlight: yMark, cellPx: 40 })];
    lines.push(`W @ x ${same ? "equals" : "differs from"} F.conv2d(x, K, stride=${s}, padding=${p})`);
  }
  return panelsHtml(panels, caption, textHtml(lines));
}

const ok = (t, lo, hi) => Number.isInteger(t) && t >= lo && t <= hi;
function options(v) {
  if (!(ok(v.size, 2, 5) && ok(v.kernel_size, 1, 3) && ok(v.stride, 1, 3) && ok(v.padding, 0, 2))) return ["none"];
  return matrixOptions(v.size, v.kernel_size, v.stride, v.padding);
}

export const matrix = {
  view: matrixView,
  live: (v) => ({ select: { options: options(v) } }),
  adjust: (v) => (options(v).length > 1 && !options(v).includes(v.select) ? { select: "none" } : {}),
};

export default { render({ model, el }) { mount(model, el, matrix); } };
