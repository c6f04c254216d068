// subpixel_explorer: a stride-s transposed convolution is s*s small convolutions, one per output phase.
import { equalPhaseKernel, ones, phaseCounts, subKernels, total, transConv } from "./maths.js";
import { escapeHtml, fmt, gridHtml, mount, panelsHtml, ROLE_COLORS, textHtml } from "./ui.js";

export const SUBPIXEL_INPUT = 4; // smallest side of the constant input (it grows with the kernel)

// The colour of phase (r, c) = (row mod s, column mod s): light hues, one per phase
export function phaseColor(r, c, s) {
  return `hsl(${Math.round((360 * (r * s + c)) / (s * s))}, 70%, 82%)`;
}

// A grid whose cells are coloured by their phase (i mod s, j mod s), with their numbers
export function phaseGridHtml(A, s, title) {
  const rows = A.map((row, i) => "<tr>" + row.map((v, j) => `<td style="width:34px;height:34px;padding:0;`
    + `text-align:center;background:${phaseColor(i % s, j % s, s)};color:#000;">${fmt(v)}</td>`).join("") + "</tr>").join("");
  const color = ROLE_COLORS.output;
  return `<div style="margin:4px 14px 4px 0"><div style="color:${color};font-weight:bold;font-size:18px;`
    + `margin-bottom:4px">${escapeHtml(title)}</div><table data-role="output" style="border-collapse:collapse;`
    + `border:3px solid ${color};font:bold 14px/1 sans-serif;text-align:center">${rows}</table></div>`;
}

export function subpixelKernel(name, k, s, data) {
  if (name === "ones") return ones(k, k);
  if (name === "equal phase sums") return equalPhaseKernel(k, s);
  return data.random[String(k)];
}

export function subpixelView(v, data) {
  const s = v.stride, k = v.kernel_size, K = subpixelKernel(v.kernel, k, s, data);
  const subs = subKernels(K, s);
  const panels = [gridHtml(K, `kernel K: ${k}x${k}`, "kernel", { cellPx: 34 })];
  const sums = [];
  subs.forEach((sub, q) => {
    const r = Math.floor(q / s), c = q % s, band = `border-bottom:6px solid ${phaseColor(r, c, s)};`;
    if (!sub.length || !sub[0].length) {
      panels.push(`<div style="margin:4px 14px 4px 0;font-size:16px;${band}">K[${r}::${s}, ${c}::${s}]: no taps</div>`);
      return;
    }
    sums.push(total(sub));
    panels.push(`<div style="${band}">${gridHtml(sub, `K[${r}::${s}, ${c}::${s}], sum ${fmt(total(sub))}`, "kernel",
      { cellPx: 30 })}</div>`);
  });
  const n = Math.max(SUBPIXEL_INPUT, Math.ceil(k / s) + 2); // every phase keeps cells away from the border
  const Y = transConv(ones(n, n), K, { stride: s });
  panels.push(phaseGridHtml(Y, s, `constant input ${n}x${n} of ones, output by phase`));
  const empty = phaseCounts(k, s).filter((t) => t === 0).length;
  let verdict;
  if (empty) {
    verdict = `kernel_size ${k} < stride ${s}: ${s * s - k * k} of the ${s * s} phases have no taps, so their `
      + "output cells stay 0 whatever the weights: no kernel of this size keeps a constant input flat.";
  } else {
    const lo = Math.min(...sums), hi = Math.max(...sums);
    verdict = hi - lo <= 1e-9 * Math.max(1, Math.abs(hi))
      ? `All ${s * s} phase sums equal ${fmt(lo)}: away from the borders the output is flat (${fmt(lo)} everywhere).`
      : `The phase sums differ (${fmt(lo)} to ${fmt(hi)}): away from the borders each phase shows its own sum, `
        + `a pattern that repeats every ${s} cells: the checkerboard.`;
  }
  const lines = [`Y = F.conv_transpose2d(ones(${n}, ${n}), K, stride=${s}); `
    + `output cell (i, j) uses only the taps of K[i mod ${s}::${s}, j mod ${s}::${s}]`];
  return panelsHtml(panels, verdict, textHtml(lines));
}

export default { render({ model, el }) { mount(model, el, { view: subpixelView }); } };
