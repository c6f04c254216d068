// The explorers' maths, in the page: plain functions on grids (arrays of rows of numbers).
// Each mirrors a Python helper (named in its comment) and refuses what it refuses, in the same words,
// by throwing an Error whose message the explorer shows. tests/js/ checks them under `node --test`;
// tests/test_browser_modules.py checks what the explorers draw against torch.nn.functional.

export function zeros(h, w) {
  return Array.from({ length: h }, () => new Array(w).fill(0));
}

export function shape(A) {
  return [A.length, A.length ? A[0].length : 0];
}

export function ones(h, w) {
  return Array.from({ length: h }, () => new Array(w).fill(1));
}

// helpers.shapes.trans_conv_output_shape, one axis: o = (i-1)*s - 2*p + d*(k-1) + output_padding + 1
export function transConvSize(i, k, s = 1, p = 0, op = 0, d = 1, axis = "height") {
  const o = (i - 1) * s - 2 * p + d * (k - 1) + op + 1;
  if (o < 1) {
    throw new Error(`padding=${p} crops the whole output ${axis}: (i-1)*s - 2*p + d*(k-1) + output_padding + 1 `
      + `= (${i}-1)*${s} - 2*${p} + ${d}*(${k}-1) + ${op} + 1 = ${o}, which must be at least 1`);
  }
  return o;
}

// helpers._checks.output_padding_rule (stride, output_padding and dilation equal on both axes here)
export function checkOutputPadding(op, s, d) {
  if (op >= Math.max(s, d)) {
    throw new Error("output_padding must be smaller than the stride or the dilation on each axis; "
      + `on axis h output_padding=${op}, stride=${s}, dilation=${d}`);
  }
}

// The loop of helpers.ops.trans_conv before the crop: every input element adds X[i][j] * K at
// (i*s + a*d, j*s + b*d); the output_padding rows and columns stay at the far end.
export function transConvFull(X, K, { stride = 1, outputPadding = 0, dilation = 1 } = {}) {
  const [h, w] = shape(X), [kh, kw] = shape(K), s = stride, d = dilation;
  const Y = zeros((h - 1) * s + d * (kh - 1) + outputPadding + 1, (w - 1) * s + d * (kw - 1) + outputPadding + 1);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      for (let a = 0; a < kh; a++) {
        for (let b = 0; b < kw; b++) Y[i * s + a * d][j * s + b * d] += X[i][j] * K[a][b];
      }
    }
  }
  return Y;
}

// helpers.ops.trans_conv on (H, W) grids: F.conv_transpose2d with one stride, padding,
// output_padding and dilation for both axes.
export function transConv(X, K, { stride = 1, padding = 0, outputPadding = 0, dilation = 1 } = {}) {
  checkOutputPadding(outputPadding, stride, dilation);
  const [h, w] = shape(X), [kh, kw] = shape(K);
  const hOut = transConvSize(h, kh, stride, padding, outputPadding, dilation, "height");
  const wOut = transConvSize(w, kw, stride, padding, outputPadding, dilation, "width");
  const full = transConvFull(X, K, { stride, outputPadding, dilation });
  return crop(full, padding, padding, hOut, wOut);
}

export function crop(A, r, c, h, w) {
  return A.slice(r, r + h).map((row) => row.slice(c, c + w));
}

// helpers.ops.trans_conv_stamps: stamp number i*W + j is X[i][j] * K in its window of the output
export function stamps(X, K, stride = 1) {
  const [h, w] = shape(X), [kh, kw] = shape(K);
  const hOut = (h - 1) * stride + kh, wOut = (w - 1) * stride + kw;
  const out = [];
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const Y = zeros(hOut, wOut);
      for (let a = 0; a < kh; a++) {
        for (let b = 0; b < kw; b++) Y[i * stride + a][j * stride + b] = X[i][j] * K[a][b];
      }
      out.push(Y);
    }
  }
  return out;
}

export function add(A, B) {
  return A.map((row, i) => row.map((v, j) => v + B[i][j]));
}

// helpers.shapes.conv_output_shape, one axis (dilation 1)
export function convSize(i, k, s = 1, p = 0, axis = "height") {
  if (i + 2 * p < k) {
    throw new Error(`input_shape is smaller than the dilated kernel on the ${axis}: i + 2*p = ${i} + 2*${p} = `
      + `${i + 2 * p} < d*(k-1) + 1 = 1*(${k}-1) + 1 = ${k}`);
  }
  return Math.floor((i + 2 * p - k) / s) + 1;
}

// F.conv2d of one channel (a cross-correlation, as in d2l's corr2d) with stride and zero padding
export function conv2d(X, K, stride = 1, padding = 0) {
  const [h, w] = shape(X), [kh, kw] = shape(K);
  const hOut = convSize(h, kh, stride, padding, "height"), wOut = convSize(w, kw, stride, padding, "width");
  const Y = zeros(hOut, wOut);
  for (let r = 0; r < hOut; r++) {
    for (let c = 0; c < wOut; c++) {
      let sum = 0;
      for (let a = 0; a < kh; a++) {
        const i = r * stride - padding + a;
        if (i < 0 || i >= h) continue;
        for (let b = 0; b < kw; b++) {
          const j = c * stride - padding + b;
          if (j >= 0 && j < w) sum += X[i][j] * K[a][b];
        }
      }
      Y[r][c] = sum;
    }
  }
  return Y;
}

// helpers.matrix.kernel2matrix: W (H_out*W_out, H*W) with W @ vec(X) = vec(conv2d(X, K, stride, padding))
export function convMatrix(K, h, w, stride = 1, padding = 0) {
  const [kh, kw] = shape(K);
  const hOut = convSize(h, kh, stride, padding, "height"), wOut = convSize(w, kw, stride, padding, "width");
  const W = zeros(hOut * wOut, h * w);
  for (let r = 0; r < hOut; r++) {
    for (let c = 0; c < wOut; c++) {
      for (let a = 0; a < kh; a++) {
        for (let b = 0; b < kw; b++) {
          const i = r * stride - padding + a, j = c * stride - padding + b;
          if (i >= 0 && i < h && j >= 0 && j < w) W[r * wOut + c][i * w + j] += K[a][b];
        }
      }
    }
  }
  return W;
}

export function transpose(A) {
  const [h, w] = shape(A);
  return Array.from({ length: w }, (_, j) => Array.from({ length: h }, (_, i) => A[i][j]));
}

export function matVec(W, x) {
  return W.map((row) => row.reduce((sum, v, j) => sum + v * x[j], 0));
}

export function reshape(flat, h, w) {
  return Array.from({ length: h }, (_, i) => flat.slice(i * w, (i + 1) * w));
}

// helpers.matrix.recovering_output_padding, one axis: the output_padding with which the transposed
// convolution returns an input of length i from the convolution's output length o
export function recoveringOutputPadding(i, k, s = 1, p = 0) {
  const o = convSize(i, k, s, p);
  return i - ((o - 1) * s - 2 * p + k);
}

// helpers.shapes.conv_input_sizes (dilation 1): every input length a convolution maps to `o`, the
// transposed convolution's output length for output_padding 0 .. s-1
export function convInputSizes(o, k, s = 1, p = 0) {
  const smallest = transConvSize(o, k, s, p, 0, 1, "height");
  return Array.from({ length: s }, (_, a) => smallest + a);
}

// One layer of a transposed convolution (no padding) on flat Float64Arrays, for the larger grids
// of the checkerboard explorer: X is n x n, K is k x k; returns the (n-1)*s + k square output.
export function transConvSquare(X, n, K, k, s) {
  const m = (n - 1) * s + k;
  const Y = new Float64Array(m * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const x = X[i * n + j];
      if (x === 0) continue;
      for (let a = 0; a < k; a++) {
        const row = (i * s + a) * m + j * s;
        for (let b = 0; b < k; b++) Y[row + b] += x * K[a * k + b];
      }
    }
  }
  return { Y, m };
}

// `layers` stacked transposed convolutions of a constant n x n input of ones with kernel K (k x k):
// with K all ones this is helpers.ops.overlap_counts. Returns {Y (flat), m (its side)}.
export function stack(n, K, k, s, layers) {
  let Y = new Float64Array(n * n).fill(1), m = n;
  for (let l = 0; l < layers; l++) ({ Y, m } = transConvSquare(Y, m, K, k, s));
  return { Y, m };
}

// A window (rows r0.., columns c0.., h x w) of one transposed convolution layer (no padding) of the
// square X (side n, flat) with K (k x k, flat): each cell gathers the taps that land on it.
export function transConvWindow(X, n, K, k, s, r0, c0, h, w) {
  const Y = new Float64Array(h * w);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      let sum = 0;
      for (let a = (r0 + r) % s; a < k; a += s) {
        const i = (r0 + r - a) / s;
        if (i < 0 || i >= n) continue;
        for (let b = (c0 + c) % s; b < k; b += s) {
          const j = (c0 + c - b) / s;
          if (j >= 0 && j < n) sum += X[i * n + j] * K[a * k + b];
        }
      }
      Y[r * w + c] = sum;
    }
  }
  return Y;
}

// `layers` stacked layers of a constant input (side n) with K, but of the last layer only the square
// windows asked for ([row, column, side] each): the earlier layers are small, the last one is not.
export function stackWindows(n, K, k, s, layers, windows) {
  const before = stack(n, K, k, s, layers - 1);
  const m = (before.m - 1) * s + k;
  return { m, windows: windows.map(([r0, c0, size]) => transConvWindow(before.Y, before.m, K, k, s, r0, c0, size, size)) };
}

export function valueRange(Y) {
  let min = Infinity, max = -Infinity;
  for (const v of Y) { if (v < min) min = v; if (v > max) max = v; }
  return [min, max];
}

// helpers.ops.interior: the square Y (side m) without `margin` cells on every border
export function interiorRange(Y, m, margin) {
  const lo = m > 2 * margin ? margin : 0, hi = m > 2 * margin ? m - margin : m;
  let min = Infinity, max = -Infinity;
  for (let i = lo; i < hi; i++) {
    for (let j = lo; j < hi; j++) {
      const v = Y[i * m + j];
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return [min, max];
}

export function flatToGrid(Y, m, start, size) {
  return Array.from({ length: size }, (_, i) => Array.from(Y.subarray((start + i) * m + start,
    (start + i) * m + start + size)));
}

// How many taps of a length-k kernel fall on each phase r = t mod s (r = 0 .. s-1)
export function phaseCounts(k, s) {
  return Array.from({ length: s }, (_, r) => (r < k ? Math.ceil((k - r) / s) : 0));
}

// A k x k kernel whose every phase sub-kernel K[r::s, c::s] sums to 1: per axis, each tap is 1 over the
// number of taps of its phase ([0.5, 1, 0.5] at k=3, s=2); the outer product of the two axes.
export function equalPhaseKernel(k, s) {
  const counts = phaseCounts(k, s);
  const taps = Array.from({ length: k }, (_, t) => 1 / counts[t % s]);
  return taps.map((u) => taps.map((v) => u * v));
}

// The s*s sub-kernels K[r::s, c::s] in row-major phase order (r, c); empty arrays where k < s leaves none
export function subKernels(K, s) {
  const out = [];
  for (let r = 0; r < s; r++) {
    for (let c = 0; c < s; c++) {
      out.push(K.filter((_, a) => a % s === r).map((row) => row.filter((_, b) => b % s === c)));
    }
  }
  return out;
}

export function total(A) {
  return A.reduce((sum, row) => sum + row.reduce((t, v) => t + v, 0), 0);
}

// ---- upsampling (helpers.upsampling), on flat Float64Arrays of side h x w ----

export function avgPool(x, h, w, f) {
  const H = Math.floor(h / f), Wd = Math.floor(w / f), y = new Float64Array(H * Wd);
  for (let i = 0; i < H; i++) {
    for (let j = 0; j < Wd; j++) {
      let sum = 0;
      for (let a = 0; a < f; a++) for (let b = 0; b < f; b++) sum += x[(i * f + a) * w + j * f + b];
      y[i * Wd + j] = sum / (f * f);
    }
  }
  return y;
}

// helpers.upsampling.bilinear_kernel, one axis: 1 - |t - center| / s for t = 0 .. 2s-1
export function bilinearTaps(s) {
  const k = 2 * s, center = k % 2 === 0 ? (k - 1) / 2 : s - 1;
  return Array.from({ length: k }, (_, t) => 1 - Math.abs(t - center) / s);
}

// F.interpolate(mode="bilinear", align_corners=False) along one axis: source index and weight per output
function linearIndex(n, s) {
  return Array.from({ length: n * s }, (_, o) => {
    const src = Math.max((o + 0.5) / s - 0.5, 0);
    const i0 = Math.floor(src), i1 = i0 < n - 1 ? i0 + 1 : i0;
    return [i0, i1, src - i0];
  });
}

export const METHODS = ["transposed conv, bilinear kernel", "F.interpolate bilinear", "F.interpolate nearest"];

// helpers.upsampling.upsample: x (h x w, flat) upsampled by s with one of METHODS
export function upsample(x, h, w, method, s) {
  const H = h * s, W = w * s, y = new Float64Array(H * W);
  if (method === METHODS[0]) {
    const taps = bilinearTaps(s), k = 2 * s, p = s / 2;
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        for (let a = 0; a < k; a++) {
          const r = i * s + a - p;
          if (r < 0 || r >= H) continue;
          for (let b = 0; b < k; b++) {
            const c = j * s + b - p;
            if (c >= 0 && c < W) y[r * W + c] += x[i * w + j] * taps[a] * taps[b];
          }
        }
      }
    }
  } else if (method === METHODS[1]) {
    const rows = linearIndex(h, s), cols = linearIndex(w, s);
    for (let r = 0; r < H; r++) {
      const [i0, i1, u] = rows[r];
      for (let c = 0; c < W; c++) {
        const [j0, j1, v] = cols[c];
        y[r * W + c] = (1 - u) * ((1 - v) * x[i0 * w + j0] + v * x[i0 * w + j1])
          + u * ((1 - v) * x[i1 * w + j0] + v * x[i1 * w + j1]);
      }
    }
  } else if (method === METHODS[2]) {
    // nearest neighbour: every sub-pixel of a block takes the value of its input pixel
    for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) y[r * W + c] = x[Math.floor(r / s) * w + Math.floor(c / s)];
  } else {
    throw new Error(`method must be one of ${METHODS.join(", ")}; got ${method}`);
  }
  return y;
}

export function psnr(a, b, peak = 1) {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  const mse = sum / a.length;
  return mse === 0 ? Infinity : 10 * Math.log10(peak * peak / mse);
}
