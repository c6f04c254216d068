// upsampling_explorer: downsample the photograph, upsample it back, compare with the original.
import { avgPool, psnr, upsample } from "./maths.js";
import { fixed2, imagePanel, toFixedEven, mount, paintImage, panelsHtml, textHtml } from "./ui.js";

export const FACE = { top: 14, bottom: 62, left: 28, right: 76 }; // a 48x48 crop around the face

function cropFlat(x, w, top, bottom, left, right) {
  const out = new Float64Array((bottom - top) * (right - left));
  let k = 0;
  for (let i = top; i < bottom; i++) for (let j = left; j < right; j++) out[k++] = x[i * w + j];
  return out;
}

const pictures = new Map();
function picture(data) {
  if (!pictures.has(data.image)) pictures.set(data.image, Float64Array.from(data.image, (t) => t / 255));
  return pictures.get(data.image);
}

// Everything the view shows for one state: the crops, PSNR and the largest difference.
export function upsamplingResult(v, data) {
  const x = picture(data), h = data.height, w = data.width, f = v.factor;
  const low = avgPool(x, h, w, f), y = upsample(low, h / f, w / f, v.method, f);
  const diff = y.map((t, k) => Math.abs(t - x[k]));
  const { top, bottom, left, right } = FACE;
  return {
    low: cropFlat(low, w / f, top / f, bottom / f, left / f, right / f),
    y: cropFlat(y, w, top, bottom, left, right), x: cropFlat(x, w, top, bottom, left, right),
    diff: cropFlat(diff, w, top, bottom, left, right), psnr: psnr(x, y), maxDiff: Math.max(...diff),
  };
}

export function upsamplingView(v, data) {
  const r = upsamplingResult(v, data), f = v.factor, side = FACE.bottom - FACE.top;
  const panels = [
    imagePanel("low", `input, 1/${f} size`, "input", side / f, side / f, 4 * f),
    imagePanel("y", "upsampled", "output", side, side, 4),
    imagePanel("x", "original", "kernel", side, side, 4),
    imagePanel("diff", "|upsampled - original|, 0 to 0.25", "output", side, side, 4),
  ];
  const lines = [`whole image (${data.height}, ${data.width}): PSNR ${toFixedEven(r.psnr, 1)} dB, `
    + `max |difference| ${fixed2(r.maxDiff)}`, `upsample(avg_pool2d(x, ${f}), '${v.method}', ${f})`];
  return {
    html: panelsHtml(panels, "", textHtml(lines)),
    paint(view) {
      const canvas = (id) => view.querySelector(`canvas[data-image="${id}"]`);
      paintImage(canvas("low"), r.low);
      paintImage(canvas("y"), r.y);
      paintImage(canvas("x"), r.x);
      paintImage(canvas("diff"), r.diff, 0, 0.25, true);
    },
  };
}

export default { render({ model, el }) { mount(model, el, { view: upsamplingView }); } };
