// Teaches TF.js's WASM backend to train conv nets. tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so
// the gradient of a conv's filter fails there; we register one built from ops the backend does have: im2col
// (one strided slice per kernel position) and a single matMul. With it, WASM is by far the fastest CPU path
// (docs/performance.md), in Node and in the browser.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

type PadAttr = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

/** dL/dW of an NHWC conv2d, from its input x and the gradient dy of its output: patches(x)^T · dy. */
export function conv2dFilterGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: [number, number] | number,
  pad: PadAttr,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  const info = tf.backend_util.computeConv2DInfo(
    x.shape,
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const { padInfo, strideHeight, strideWidth, outHeight, outWidth, filterHeight, filterWidth, inChannels } = info;
  return tf.tidy(() => {
    const padded = tf.pad(x, [
      [0, 0],
      [padInfo.top, padInfo.bottom],
      [padInfo.left, padInfo.right],
      [0, 0],
    ]);
    const columns: tf.Tensor4D[] = [];
    for (let i = 0; i < filterHeight; i++) {
      for (let j = 0; j < filterWidth; j++) {
        const end = [
          x.shape[0],
          i + (outHeight - 1) * strideHeight + 1,
          j + (outWidth - 1) * strideWidth + 1,
          inChannels,
        ];
        columns.push(tf.stridedSlice(padded, [0, i, j, 0], end, [1, strideHeight, strideWidth, 1]) as tf.Tensor4D);
      }
    }
    // Concatenating along channels orders each row as (i, j, c): the layout of a [kh, kw, in, out] filter.
    const patches = (columns.length === 1 ? columns[0] : tf.concat(columns, 3)).reshape([
      -1,
      filterHeight * filterWidth * inChannels,
    ]);
    const grad = tf.matMul(patches, dy.reshape([-1, filterShape[3]]), true, false);
    return grad.reshape(filterShape);
  });
}

let registered = false;

/** Registers the missing kernel (once) and points the backend at its .wasm files; call before setBackend('wasm'). */
export function prepareWasmBackend(wasmPaths?: string | Record<string, string>): void {
  if (wasmPaths) setWasmPaths(wasmPaths);
  if (registered || tf.getKernel('Conv2DBackpropFilter', 'wasm')) return;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const { x, dy } = inputs as { x: tf.Tensor4D; dy: tf.Tensor4D };
      const a = attrs as unknown as {
        filterShape: [number, number, number, number];
        strides: [number, number] | number;
        pad: PadAttr;
        dataFormat: 'NHWC' | 'NCHW';
        dimRoundingMode?: 'floor' | 'round' | 'ceil';
      };
      if (a.dataFormat === 'NCHW') throw new Error('wasm Conv2DBackpropFilter: only NHWC is supported');
      // Returning a Tensor (not a bare TensorInfo) lets the engine adopt it as the kernel's output as is.
      return conv2dFilterGradient(x, dy, a.filterShape, a.strides, a.pad, a.dimRoundingMode);
    },
  });
  registered = true;
}
