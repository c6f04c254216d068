// loop_explorer: the transposed convolution's loop, one input element (one stamp) at a time.
import { add, shape, stamps, zeros } from "./maths.js";
import { fmt, gridHtml, mount, panelsHtml } from "./ui.js";

// The stamps of one (X, K, stride) and their running sums, kept while the step moves.
let cached = null;
function loopModel(X, K, stride, key) {
  if (!cached || cached.key !== key) {
    const all = stamps(X, K, stride), partial = [zeros(...shape(all[0]))];
    for (const s of all) partial.push(add(partial[partial.length - 1], s));
    const values = (grids) => grids.flatMap((g) => g.flat());
    cached = { key, all, partial, lo: Math.min(0, ...values(partial)), hi: Math.max(...values(partial)),
      slo: Math.min(0, ...values(all)), shi: Math.max(1, ...values(all)) };
  }
  return cached;
}

export function loopView(v, data) {
  const X = data.x_presets[v.x], K = data.k_presets[v.k];
  const m = loopModel(X, K, v.stride, `${v.x}|${v.k}|${v.stride}`);
  const [, w] = shape(X), [kh, kw] = shape(K), n = m.all.length, step = Math.min(v.step, n);
  let caption = `Step 0 of ${n}: the output starts as zeros.`;
  let xMark = [], yMark = [], stamp = zeros(kh, kw);
  if (step > 0) {
    const i = Math.floor((step - 1) / w), j = (step - 1) % w, r = i * v.stride, c = j * v.stride;
    xMark = [[i, j]];
    for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) yMark.push([r + a, c + b]);
    stamp = K.map((row) => row.map((t) => X[i][j] * t));
    caption = `Step ${step} of ${n}: X[${i}, ${j}] = ${fmt(X[i][j])} adds ${fmt(X[i][j])} \u00d7 K `
      + `to Y[${r}:${r + kh}, ${c}:${c + kw}].`;
    if (step === n) caption += ` All stamps added: Y equals F.conv_transpose2d(X, K, stride=${v.stride}).`;
  }
  return panelsHtml([
    gridHtml(X, "input X", "input", { highlight: xMark }),
    gridHtml(K, "kernel K", "kernel"),
    gridHtml(stamp, "this stamp", "kernel", { vmin: m.slo, vmax: m.shi }),
    gridHtml(m.partial[step], `output Y after ${step} stamps`, "output", { vmin: m.lo, vmax: m.hi, highlight: yMark }),
  ], caption);
}

const size = (v, data) => (data.x_presets[v.x] ? data.x_presets[v.x].flat().length : 0);

export const loop = {
  view: loopView,
  live: (v, data) => ({ step: { max: size(v, data) } }),
  adjust: (v, data) => (size(v, data) && Number.isInteger(v.step) && v.step > size(v, data) ? { step: size(v, data) } : {}),
  extra({ bar, values, set, data }) {
    const button = document.createElement("button");
    button.textContent = "Play";
    let timer = null;
    const stop = () => { clearInterval(timer); timer = null; button.textContent = "Play"; };
    button.addEventListener("click", () => {
      if (timer) return stop();
      button.textContent = "Pause";
      if (values().step >= size(values(), data)) set({ step: 0 });
      timer = setInterval(() => {
        const v = values(), n = size(v, data);
        if (!Number.isInteger(v.step) || v.step >= n) return stop();
        set({ step: v.step + 1 });
      }, 900);
    });
    bar.append(button);
  },
};

export default { render({ model, el }) { mount(model, el, loop); } };
