// ambiguity_explorer: the input lengths a convolution maps to one output length.
import { convInputSizes } from "./maths.js";
import { mount, panelsHtml, stripHtml } from "./ui.js";

export function ambiguityView(v) {
  const k = v.kernel_size, s = v.stride, p = v.padding, o = v.output_size;
  const sizes = convInputSizes(o, k, s, p);
  const read = new Set();
  for (let t = 0; t < o; t++) for (let q = 0; q < k; q++) read.add(t * s + q - p);
  const rows = sizes.map((n, a) => '<div style="display:flex;align-items:center;margin:4px 0">'
    + `<div style="width:280px;font-size:18px">n = ${n}: output_padding = ${a}</div>${stripHtml(n, p, read)}</div>`);
  const list = `[${sizes.join(", ")}]`;
  const caption = `Conv2d(kernel_size=${k}, stride=${s}, padding=${p}) maps every input length in ${list} to ${o}. `
    + "Blue cells are the input (numbered), dashed ones its zero padding; faded cells are never read by any window. "
    + `ConvTranspose2d with the same arguments maps ${o} back to ${sizes[0]}; output_padding `
    + "(or forward(y, output_size=...)) picks one of the others.";
  return panelsHtml([`<div data-role="strips">${rows.join("")}</div>`], caption);
}

export default { render({ model, el }) { mount(model, el, { view: ambiguityView }); } };
