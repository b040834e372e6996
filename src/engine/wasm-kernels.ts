// tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter, so out of the box it cannot train conv nets. This adds one
// built from kernels wasm does have: im2col (pad + one strided slice per kernel position) and one matMul.
// dW[kh, kw, in, out] = patches^T [kh*kw*in, N*OH*OW] x dy [N*OH*OW, out].
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
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  const { top, bottom, left, right } = info.padInfo;
  const [n, , , cin] = x.shape;
  const cout = dy.shape[3];
  return tf.tidy(() => {
    const xp = tf.pad(x, [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ]);
    const cols: tf.Tensor[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const end = [n, i + (oh - 1) * sh + 1, j + (ow - 1) * sw + 1, cin];
        cols.push(tf.stridedSlice(xp, [0, i, j, 0], end, [1, sh, sw, 1]));
      }
    }
    // [N, OH, OW, kh*kw*cin]: the last axis is (i, j, c), matching the filter layout [kh, kw, in, out].
    const patches = tf.reshape(tf.concat(cols, 3), [n * oh * ow, kh * kw * cin]);
    const grad = tf.matMul(patches, tf.reshape(dy, [n * oh * ow, cout]), true, false);
    return tf.reshape(grad, [kh, kw, cin, cout]);
  });
}

let registered = false;

/** Registers the kernel for the wasm backend (once per process or worker). */
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
  registered = true;
}
