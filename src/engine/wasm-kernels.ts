// tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter, so out of the box it cannot train conv nets. This adds one
// built from kernels wasm does have, as one forward convolution (XNNPACK's fast path) with batch and channels
// swapped: dW[i, j, c, o] = sum over n, y, x of xpad[n, y*s + i, x*s + j, c] * dy[n, y, x, o], i.e. a "valid"
// convolution of xpad as [c, H, W, n] with dy as a [OH, OW, n, o] filter dilated by the stride s.
// (An im2col + matMul version was 3-5x slower: wasm's strided slices and last-axis concat are slow.)
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
    const xp = tf.pad(x, [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ]);
    const input = tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D; // [c, H, W, n]
    const filter = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [OH, OW, n, o]
    const out = tf.conv2d(input, filter, 1, 'valid', 'NHWC', [sh, sw]); // [c, >= kh, >= kw, o]
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
 * The input gradient of a 2-D convolution as one forward convolution: dy dilated by the stride (zeros between
 * its pixels), padded, convolved with the filter rotated 180 degrees and its in/out channels swapped.
 * wasm's own Conv2DBackpropInput is a plain loop, 3x slower than this on small nets. Null where the padding
 * arithmetic does not fit (the caller then falls back to the built-in kernel).
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
  const [n, oh, ow, cout] = dy.shape;
  const dh = (oh - 1) * sh + 1;
  const dw = (ow - 1) * sw + 1;
  const top = kh - 1 - info.padInfo.top;
  const left = kw - 1 - info.padInfo.left;
  const bottom = h - dh - top + kh - 1;
  const right = w - dw - left + kw - 1;
  if (top < 0 || left < 0 || bottom < 0 || right < 0) return null;
  return tf.tidy(() => {
    let d: tf.Tensor4D = dy;
    if (sh > 1 || sw > 1) {
      const spread = tf.pad(tf.reshape(dy, [n, oh, 1, ow, 1, cout]), [
        [0, 0],
        [0, 0],
        [0, sh - 1],
        [0, 0],
        [0, sw - 1],
        [0, 0],
      ]);
      d = tf.slice(tf.reshape(spread, [n, oh * sh, ow * sw, cout]) as tf.Tensor4D, [0, 0, 0, 0], [n, dh, dw, cout]);
    }
    const padded = tf.pad(d, [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ]);
    const rotated = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    return tf.conv2d(padded, rotated, 1, 'valid');
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
