// The explorers' maths and formatting under Node's test runner: node --test tests/js/
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  bilinearTaps, conv2d, convInputSizes, convMatrix, equalPhaseKernel, matVec, phaseCounts,
  recoveringOutputPadding, reshape, stack, stamps, subKernels, total, transConv, transpose,
  upsample, METHODS, add, zeros, avgPool, psnr,
} from "../../helpers/explorers/maths.js";
import { fmt, problem, pyRepr } from "../../helpers/explorers/ui.js";
import { checkerGeometry, phaseSentence } from "../../helpers/explorers/checkerboard.js";
import { matrixOptions } from "../../helpers/explorers/matrix.js";

const X = [[0, 1], [2, 3]];
const K = [[0, 1], [2, 3]];

test("transposed convolution: d2l's examples", () => {
  assert.deepEqual(transConv(X, K), [[0, 0, 1], [0, 4, 6], [4, 12, 9]]);
  assert.deepEqual(transConv(X, K, { stride: 2 }),
    [[0, 0, 0, 1], [0, 0, 2, 3], [0, 2, 0, 3], [4, 6, 6, 9]]);
  assert.deepEqual(transConv(X, K, { padding: 1 }), [[4]]);
});

test("transposed convolution: output_padding adds rows and columns of zeros, dilation spreads the "
  + "kernel", () => {
  assert.deepEqual(transConv([[1]], [[1, 2]], { stride: 2, outputPadding: 1 }),
    [[1, 2, 0], [0, 0, 0]]);
  assert.deepEqual(transConv([[1]], [[1, 2]], { dilation: 2 }), [[1, 0, 2]]);
  assert.deepEqual(transConv([[1, 1]], [[1]], { stride: 3 }), [[1, 0, 0, 1]]);
});

test("transposed convolution refuses what PyTorch refuses, with the Python helpers' words", () => {
  assert.throws(() => transConv(X, K, { outputPadding: 1 }),
    /output_padding must be smaller than the stride or the dilation/);
  assert.throws(() => transConv([[1]], [[1]], { padding: 1 }),
    new RegExp("padding=1 crops the whole output height: .* "
      + String.raw`= \(1-1\)\*1 - 2\*1 \+ 1\*\(1-1\) \+ 0 \+ 1 = -1, which must be at least 1`));
});

test("the stamps add up to the transposed convolution", () => {
  const all = stamps(X, K, 2);
  assert.equal(all.length, 4);
  assert.deepEqual(all.reduce(add, zeros(4, 4)), transConv(X, K, { stride: 2 }));
});

test("convolution, its matrix W, and W^T as the transposed convolution", () => {
  const x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]], k = [[1, 2], [3, 4]];
  assert.deepEqual(conv2d(x, k), [[37, 47], [67, 77]]);
  assert.deepEqual(conv2d(x, k, 2, 1), [[4, 18], [36, 77]]);
  for (const [s, p] of [[1, 0], [2, 1], [2, 0], [3, 1]]) {
    const W = convMatrix(k, 3, 3, s, p), y = conv2d(x, k, s, p), h = y.length;
    assert.deepEqual(reshape(matVec(W, x.flat()), h, h), y);
    const op = recoveringOutputPadding(3, 2, s, p);
    assert.deepEqual(reshape(matVec(transpose(W), y.flat()), 3, 3),
      transConv(y, k, { stride: s, padding: p, outputPadding: op }));
  }
  assert.throws(() => convMatrix([[1, 1, 1]], 2, 2),
    /input_shape is smaller than the dilated kernel on the width/);
});

test("the input lengths a convolution maps to one output length", () => {
  assert.deepEqual(convInputSizes(4, 3, 2, 1), [7, 8]);
  assert.deepEqual(convInputSizes(2, 4, 3, 0), [7, 8, 9]);
  assert.throws(() => convInputSizes(1, 1, 1, 1), /padding=1 crops the whole output/);
  assert.deepEqual(matrixOptions(2, 2, 1, 0), ["none", "conv output (0, 0)", "conv input (0, 0)",
    "conv input (0, 1)", "conv input (1, 0)", "conv input (1, 1)"]);
});

test("overlap counts: stride 2 with a 3x3 kernel alternates 1 and 2 stamps per row", () => {
  const { Y, m } = stack(4, new Float64Array(9).fill(1), 3, 2, 1);
  assert.equal(m, 9);
  assert.deepEqual(Array.from(Y.subarray(0, 9)), [1, 1, 2, 1, 2, 1, 2, 1, 1]);
  assert.deepEqual(Array.from(Y.subarray(18, 27)), [2, 2, 4, 2, 4, 2, 4, 2, 2]);
  assert.deepEqual(checkerGeometry(3, 2, 1), [8, 3]);
});

test("equal phase sums: [0.5, 1, 0.5] at stride 2, and every sub-kernel sums to 1", () => {
  assert.deepEqual(phaseCounts(3, 2), [2, 1]);
  assert.deepEqual(phaseCounts(2, 3), [1, 1, 0]);
  assert.deepEqual(equalPhaseKernel(3, 2)[1], [0.5, 1, 0.5]);
  for (const [k, s] of [[3, 2], [7, 3], [9, 4], [5, 2]]) {
    const sums = subKernels(equalPhaseKernel(k, s), s).map(total);
    assert.equal(sums.length, s * s);
    for (const t of sums) assert.ok(Math.abs(t - 1) < 1e-12);
  }
  assert.match(phaseSentence(equalPhaseKernel(3, 2), 2),
    /all 4 sub-kernels K\[r::2, c::2\] sum to 1/);
  assert.match(phaseSentence([[1, 1, 1], [1, 1, 1], [1, 1, 1]], 2),
    /sum to 1 \.\. 4, so a constant input comes out uneven/);
  assert.match(phaseSentence([[1]], 2), /kernel_size 1 < stride 2, so 3 of the 4 phases/);
});

test("upsampling: bilinear kernel, F.interpolate bilinear and nearest on small inputs", () => {
  assert.deepEqual(bilinearTaps(2), [0.25, 0.75, 0.75, 0.25]);
  const row = Float64Array.from([0, 1]);
  assert.deepEqual(Array.from(upsample(row, 1, 2, METHODS[1], 2)),
    [0, 0.25, 0.75, 1, 0, 0.25, 0.75, 1]);
  assert.deepEqual(Array.from(upsample(row, 1, 2, METHODS[2], 2)), [0, 0, 1, 1, 0, 0, 1, 1]);
  assert.equal(METHODS.length, 3);
  // the transposed convolution with the bilinear kernel: interior rows interpolate, edges fall off
  const ones = upsample(Float64Array.from([1, 1]), 1, 2, METHODS[0], 2);
  assert.deepEqual(Array.from(ones).slice(0, 4), [0.5625, 0.75, 0.75, 0.5625]);
  assert.deepEqual(Array.from(avgPool(Float64Array.from([1, 3, 5, 7]), 2, 2, 2)), [4]);
  assert.ok(Math.abs(psnr([0, 0], [0.1, 0.1]) - 20) < 1e-9);
});

test("numbers are written as Python writes them", () => {
  assert.equal(fmt(2), "2");
  assert.equal(fmt(-3.0000001), "-3");
  assert.equal(fmt(0.5), "0.50");
  assert.equal(fmt(0.125), "0.12"); // a tie rounds to even, as Python's format does
  assert.equal(fmt(0.375), "0.38");
  assert.equal(fmt(1 / 3), "0.33");
  assert.equal(pyRepr(null), "None");
  assert.equal(pyRepr("a"), "'a'");
  assert.equal(pyRepr([2, 4]), "[2, 4]");
});

test("a control value outside its rule is named in words", () => {
  const specs = [
    { name: "stride", kind: "range", min: 1, max: 3 },
    { name: "x", kind: "select", options: ["a", "b"] },
    { name: "flip", kind: "checkbox" },
    { name: "factor", kind: "range", min: 2, max: 4, step: 2 },
  ];
  const ok = { stride: 2, x: "a", flip: true, factor: 4 };
  assert.equal(problem(specs, {}, ok), null);
  assert.equal(problem(specs, {}, { ...ok, stride: null }),
    "stride must be an integer from 1 to 3 in this explorer; got None");
  assert.equal(problem(specs, {}, { ...ok, stride: 2.5 }),
    "stride must be an integer from 1 to 3 in this explorer; got 2.5");
  assert.equal(problem(specs, {}, { ...ok, x: "c" }), "x must be one of ['a', 'b']; got 'c'");
  assert.equal(problem(specs, {}, { ...ok, flip: 1 }), "flip must be True or False; got 1");
  assert.equal(problem(specs, {}, { ...ok, factor: 3 }),
    "factor must be one of [2, 4] in this explorer; got 3");
  assert.equal(problem(specs, { stride: { max: 2 } }, { ...ok, stride: 3 }),
    "stride must be an integer from 1 to 2 in this explorer; got 3");
});

test("ties round to even at any number of decimals, as Python's format does", async () => {
  const { toFixedEven, g } = await import("../../helpers/explorers/ui.js");
  assert.equal(toFixedEven(0.125, 2), "0.12");
  assert.equal(toFixedEven(0.375, 2), "0.38");
  assert.equal(toFixedEven(2.5, 0), "2");
  assert.equal(toFixedEven(3.5, 0), "4");
  assert.equal(toFixedEven(-0.125, 2), "-0.12");
  assert.equal(toFixedEven(0.1, 1), "0.1");
  assert.equal(toFixedEven(1.005, 2), "1.00"); // 1.005 is a little below 1.005 in binary
  assert.equal(g(4.515625), "4.51562");
  assert.equal(g(4.515635), "4.51563"); // a little below the tie in binary
  assert.equal(g(2), "2");
  assert.equal(g(531441), "531441");
  assert.equal(g(1.5), "1.5");
});

test("a window of the last layer equals the same cells of the whole layer", async () => {
  const { stackWindows, stack: whole } = await import("../../helpers/explorers/maths.js");
  const K = Float64Array.from({ length: 25 }, (_, t) => (t * 7) % 5 + 0.5);
  for (const [s, layers] of [[2, 2], [3, 3], [4, 2], [1, 3]]) {
    const full = whole(8, K, 5, s, layers);
    const { m, windows } = stackWindows(8, K, 5, s, layers, [[3, 5, 6]]);
    assert.equal(m, full.m);
    for (let r = 0; r < 6; r++) {
      for (let c = 0; c < 6; c++) {
        assert.ok(Math.abs(windows[0][r * 6 + c] - full.Y[(3 + r) * m + 5 + c]) < 1e-9);
      }
    }
  }
});
