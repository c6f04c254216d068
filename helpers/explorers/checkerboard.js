// checkerboard_explorer: uneven overlap, and what it does to a constant input.
import { equalPhaseKernel, ones, phaseCounts, stackWindows, valueRange, subKernels, total } from "./maths.js";
import { fixed2, fmt, g, gridHtml, mount, panelsHtml, textHtml } from "./ui.js";

export const INPUT = 8; // side of the constant input
export const VIEW = 16; // at most this many central rows and columns are drawn (legible, quick to draw)

// helpers.widgets.checker_geometry: the input side (at least INPUT) and the margin of cells that feel
// the edges (k input cells per layer, s times over), chosen so that some interior is left
export function checkerGeometry(k, s, layers) {
  let margin = 0;
  for (let l = 0; l < layers; l++) margin += k * s ** l;
  for (let side = INPUT; ; side++) {
    let n = side;
    for (let l = 0; l < layers; l++) n = (n - 1) * s + k;
    if (n > 2 * margin) return [side, margin];
  }
}

export function checkerKernel(name, k, s, data) {
  if (name === "ones") return ones(k, k);
  if (name === "equal phase sums") return equalPhaseKernel(k, s);
  return data.random[String(k)];
}

// Each phase's sub-kernel sum, and a sentence on whether they are equal (a constant input stays flat).
export function phaseSentence(K, s) {
  const k = K.length, empty = phaseCounts(k, s).filter((c) => c === 0).length;
  if (empty) {
    const none = s * s - (s - empty) * (s - empty);
    return `phase sums: kernel_size ${k} < stride ${s}, so ${none} of the ${s * s} phases (r mod ${s}, c mod ${s}) `
      + "get no tap at all; no choice of weights can even them out";
  }
  const sums = subKernels(K, s).map(total), lo = Math.min(...sums), hi = Math.max(...sums);
  if (hi - lo <= 1e-9 * Math.max(1, Math.abs(hi))) {
    return `phase sums: all ${s * s} sub-kernels K[r::${s}, c::${s}] sum to ${fmt(lo)}, so a constant input `
      + "comes out flat inside";
  }
  return `phase sums: the ${s * s} sub-kernels K[r::${s}, c::${s}] sum to ${fmt(lo)} .. ${fmt(hi)}, `
    + "so a constant input comes out uneven";
}

export function checkerboardView(v, data) {
  const k = v.kernel_size, s = v.stride, layers = v.layers;
  const K = checkerKernel(v.kernel, k, s, data);
  const [side, margin] = checkerGeometry(k, s, layers);
  // The last layer is large (up to 617 x 617): compute only the central crop that is drawn, and one
  // period of the interior. A constant input's output repeats every s**layers cells away from the
  // borders (moving the input by one cell moves the output by s**layers), so that period holds the
  // interior's smallest and largest values.
  let n = side;
  for (let l = 0; l < layers; l++) n = (n - 1) * s + k;
  const size = Math.min(n, VIEW), start = Math.max(0, Math.floor((n - VIEW) / 2));
  const period = Math.min(s ** layers, n - 2 * margin);
  const windows = [[start, start, size], [margin, margin, period]];
  const ones = new Float64Array(k * k).fill(1);
  const counts = stackWindows(side, ones, k, s, layers, windows);
  const Y = v.kernel === "ones" ? counts : stackWindows(side, Float64Array.from(K.flat()), k, s, layers, windows);
  const [lo, hi] = valueRange(counts.windows[1]), [ylo, yhi] = valueRange(Y.windows[1]);
  const px = Math.max(14, Math.min(34, Math.floor(560 / size)));
  const shown = n > VIEW ? `central ${size}x${size} of ${n}x${n}` : `${n}x${n}`;
  const grid = (flat) => Array.from({ length: size }, (_, i) => Array.from(flat.subarray(i * size, (i + 1) * size)));
  const panels = [
    gridHtml(K, `kernel K: ${k}x${k}`, "kernel", { cellPx: k > 6 ? 34 : 40 }),
    gridHtml(grid(counts.windows[0]), `stamps per cell (${shown})`, "output", { cellPx: px }),
    gridHtml(grid(Y.windows[0]), "output of a constant input", "output", { cellPx: px }),
  ];
  let verdict;
  if (lo === hi) verdict = "even: every interior cell receives the same number of stamps";
  else if (lo === 0) verdict = `uneven: the kernel is smaller than the stride, so some cells receive no stamp (0 to ${g(hi)})`;
  else verdict = `uneven: interior cells receive ${g(lo)} to ${g(hi)} stamps, a ratio of ${g(hi / lo)}`;
  const lines = [`kernel_size % stride = ${k} % ${s} = ${k % s}; ${layers} layer(s) on a constant ${side}x${side} input`, `overlap ${verdict}`,
    `constant input: interior output from ${fixed2(ylo)} to ${fixed2(yhi)}`, phaseSentence(K, s)];
  return panelsHtml(panels, "", textHtml(lines));
}

export default { render({ model, el }) { mount(model, el, { view: checkerboardView }); } };
