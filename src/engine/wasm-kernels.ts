// tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter, so out of the box it cannot train conv nets. This adds one
// built from kernels wasm does have, as one forward convolution (XNNPACK's fast path) with batch and channels
// swapped: dW[i, j, c, o] = sum over n, y, x of xpad[n, y*s + i, x*s + j, c] * dy[n, y, x, o], i.e. a "valid"
// convolution of xpad as [c, H, W, n] with dy as a [OH, OW, n, o] filter dilated by the stride s.
// (An im2col + matMul version was 3-5x slower: wasm's strided slices and last-axis concat are slow. Splitting the
// sum over n or over rows into several convolutions, to keep XNNPACK's packed filter small, was 1.2-3x slower.)
// The same file makes wasm's input gradient and Identity (tf.clone) cheaper: scripts/profile-step.ts shows where.
import * as tf from '@tensorflow/tfjs';

interface BackpropFilterAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/** The filter gradient of a 2-D convolution (NHWC, dilation 1), from ordinary ops. */
export function conv2dBackpropFilter(x: tf.Tensor4D, dy: tf.Tensor4D, attrs: BackpropFilterAttrs): tf.Tensor4D {
  if (attrs.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter (added kernel): NCHW is not supported');
  const info = tf.backend_util.computeConv2DInfo(
    x.shape,
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { top, bottom, left, right } = info.padInfo;
  return tf.tidy(() => {
    const input = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D; // [c, H, W, n]
    const filter = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [OH, OW, n, o]
    // The convolution pads x itself (no padded copy); dy, the filter, is dilated by the stride.
    const pad: tf.backend_util.ExplicitPadding = [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ];
    const out = tf.conv2d(input, filter, 1, pad, 'NHWC', [sh, sw]); // [c, >= kh, >= kw, o]
    const cropped = out.shape[1] === kh && out.shape[2] === kw ? out : tf.slice(out, [0, 0, 0, 0], [-1, kh, kw, -1]);
    return tf.transpose(cropped, [1, 2, 0, 3]) as tf.Tensor4D;
  });
}

interface BackpropInputAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

/**
 * One axis of a strided convolution's input gradient split into its stride phases: input position Y = s * u + p gets
 * sum over d of dy[u - d] * w[p + pad + s * d] (taps inside the filter only). `taps[p][t]` is the filter tap that
 * window position t (dy row u - dmax + t) meets in phase p, or -1; `before` pads dy so the windows start at u - dmax.
 */
function phases(k: number, s: number, pad: number): { taps: number[][]; before: number } {
  const ds = Array.from({ length: s }, (_, p) => {
    const lo = Math.ceil((-p - pad) / s);
    const hi = Math.floor((k - 1 - p - pad) / s);
    return { lo, hi };
  });
  const dmin = Math.min(...ds.map((d) => d.lo));
  const dmax = Math.max(...ds.map((d) => d.hi));
  const taps = ds.map((_, p) =>
    Array.from({ length: dmax - dmin + 1 }, (_, t) => {
      const i = p + pad + s * (dmax - t);
      return i >= 0 && i < k ? i : -1;
    }),
  );
  return { taps, before: dmax };
}

/**
 * The input gradient of a 2-D convolution as one stride-1 forward convolution of dy whose output channels are the
 * s x s stride phases (for s = 1: the filter rotated 180 degrees, in/out channels swapped), then interleaved.
 * Against dilating dy by the stride (zeros between its pixels) this does s^2 times fewer multiplies and no
 * dilation. wasm's own Conv2DBackpropInput is a plain loop, 3x slower. Null where the shapes do not fit (an input
 * size not a multiple of the stride, or a filter that needs dy cropped): the caller then uses the built-in kernel.
 */
export function conv2dBackpropInput(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  attrs: BackpropInputAttrs,
): tf.Tensor4D | null {
  if (attrs.dataFormat === 'NCHW') return null;
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, inHeight: h, inWidth: w } = info;
  const [n, oh, ow] = dy.shape;
  const [cin, cout] = [filter.shape[2], filter.shape[3]];
  if (h % sh !== 0 || w % sw !== 0) return null;
  const rows = phases(kh, sh, info.padInfo.top);
  const cols = phases(kw, sw, info.padInfo.left);
  const [th, tw] = [rows.taps[0].length, cols.taps[0].length];
  const [u, v] = [h / sh, w / sw];
  const bottom = u + th - 1 - rows.before - oh;
  const right = v + tw - 1 - cols.before - ow;
  if (bottom < 0 || right < 0) return null;
  // The combined filter [th, tw, cout, sh * sw * cin], gathered from the filter's taps and one zero tap.
  const index: number[] = [];
  for (let a = 0; a < th; a++) {
    for (let b = 0; b < tw; b++) {
      for (let p = 0; p < sh; p++) {
        for (let q = 0; q < sw; q++) {
          const [i, j] = [rows.taps[p][a], cols.taps[q][b]];
          index.push(i < 0 || j < 0 ? kh * kw : i * kw + j);
        }
      }
    }
  }
  return tf.tidy(() => {
    const taps = tf.concat([
      tf.reshape(tf.transpose(filter, [0, 1, 3, 2]), [kh * kw, cout, cin]),
      tf.zeros([1, cout, cin]),
    ]);
    const gathered = tf.reshape(tf.gather(taps, tf.tensor1d(index, 'int32')), [th * tw, sh * sw, cout, cin]);
    const combined = tf.reshape(tf.transpose(gathered, [0, 2, 1, 3]), [th, tw, cout, sh * sw * cin]) as tf.Tensor4D;
    const pad: tf.backend_util.ExplicitPadding = [
      [0, 0],
      [rows.before, bottom],
      [cols.before, right],
      [0, 0],
    ];
    const out = tf.conv2d(dy, combined, 1, pad); // [n, u, v, (p, q, cin)]
    if (sh === 1 && sw === 1) return out;
    const interleaved = tf.transpose(tf.reshape(out, [n * u, v, sh, sw * cin]), [0, 2, 1, 3]);
    return tf.reshape(interleaved, [n, h, w, cin]) as tf.Tensor4D;
  });
}

/**
 * Identity (tf.clone) sharing its input's memory, as the cpu backend's does: values are immutable, so a copy buys
 * nothing. The gradient tape clones every tensor it saves for the backward pass, and wasm's own Identity copies the
 * bytes (about 600 copies per ResNet-20 step).
 */
function shareIdentity(): void {
  const builtin = tf.getKernel('Identity', 'wasm');
  if (!builtin) return;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({
    ...builtin,
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      if (x.dtype === 'string') return builtin.kernelFunc(args) as tf.TensorInfo;
      (args.backend as tf.KernelBackend).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
}

let registered = false;

/** Registers the training kernels for the wasm backend (once per process or worker). */
export function registerWasmTrainingKernels(): void {
  if (registered || tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const { x, dy } = inputs as { x: tf.Tensor4D; dy: tf.Tensor4D };
      return conv2dBackpropFilter(x, dy, attrs as unknown as BackpropFilterAttrs);
    },
  });
  shareIdentity();
  const builtin = tf.getKernel('Conv2DBackpropInput', 'wasm');
  if (builtin) {
    tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
    tf.registerKernel({
      ...builtin,
      kernelFunc: (args) => {
        const { dy, filter } = args.inputs as { dy: tf.Tensor4D; filter: tf.Tensor4D };
        const fast = conv2dBackpropInput(dy, filter, args.attrs as unknown as BackpropInputAttrs);
        return fast ?? (builtin.kernelFunc(args) as tf.TensorInfo);
      },
    });
  }
  registered = true;
}
