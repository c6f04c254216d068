// equivalent_conv_explorer: insert zeros, pad, flip, convolve: the transposed convolution again.
import { conv2d, shape, transConv, zeros } from "./maths.js";
import { gridHtml, mount, panelsHtml } from "./ui.js";

const zerosWord = (n) => (n === 1 ? "1 zero" : `${n} zeros`);

export function equivalentView(v, data) {
  const X = data.x, K = data.k, s = v.stride, p = v.padding, k = K.length;
  const expected = transConv(X, K, { stride: s, padding: p });
  const [h, w] = shape(X), q = k - 1 - p;
  const Xp = zeros((h - 1) * s + 1 + 2 * q, (w - 1) * s + 1 + 2 * q);
  const originals = [];
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      Xp[q + i * s][q + j * s] = X[i][j];
      originals.push([q + i * s, q + j * s]);
    }
  }
  const used = v.flip ? K.map((row) => [...row].reverse()).reverse() : K;
  const Y = conv2d(Xp, used);
  const all = [...Y.flat(), ...expected.flat()], lo = Math.min(0, ...all), hi = Math.max(...all);
  const same = Y.length === expected.length && Y.every((row, i) => row.every((t, j) => t === expected[i][j]));
  const panels = [
    gridHtml(X, "input X", "input", { cellPx: 40 }),
    gridHtml(Xp, `${zerosWord(s - 1)} between, ${q} around`, "input", { highlight: originals, cellPx: 36 }),
    gridHtml(used, v.flip ? "kernel, flipped" : "kernel, not flipped", "kernel", { cellPx: 40 }),
    gridHtml(Y, "direct convolution", "output", { vmin: lo, vmax: hi, cellPx: 36 }),
    gridHtml(expected, "transposed convolution", "output", { vmin: lo, vmax: hi, cellPx: 36 }),
  ];
  const caption = `Insert ${zerosWord(s - 1)} between input elements, pad by k-1-p = ${k}-1-${p} = ${q}, `
    + `${v.flip ? "flip the kernel, " : "do not flip the kernel, "}and convolve with stride 1: `
    + `${same ? "the result equals" : "the result differs from"} the transposed convolution.`;
  return panelsHtml(panels, caption);
}

export default { render({ model, el }) { mount(model, el, { view: equivalentView }); } };
