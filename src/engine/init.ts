// Seeded initialisation of the frozen weights and the trainable scores (edge-popup's choices, see docs/engine.md).
// Values are drawn in PyTorch's layout [out, in, kh, kw] (row-major), so a Python runner drawing from the same
// mulberry32 stream in the same order gets the same numbers; toTfLayout then reorders them for TF.js.
import { deriveSeed, mulberry32 } from '../util/random';

/** Weight shape in PyTorch's order: [out, in, kh, kw] for convs, [out, in] for linear layers. */
export type TorchShape = number[];

export function fanIn(shape: TorchShape): number {
  return shape.slice(1).reduce((a, b) => a * b, 1);
}

function size(shape: TorchShape): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * "Signed Kaiming constant": every weight is +-sqrt(2 / fan_in), the sign a fair coin.
 * `draw` 0 is the initial draw; IteRand's re-draw at K_per boundary b uses draw b (its own stream per boundary).
 */
export function signedKaimingConstant(shape: TorchShape, seed: number, layer: string, draw = 0): Float32Array {
  const label = draw === 0 ? `weights/${layer}` : `weights/${layer}/draw${draw}`;
  const rng = mulberry32(deriveSeed(seed, label));
  const c = Math.sqrt(2 / fanIn(shape));
  const out = new Float32Array(size(shape));
  for (let i = 0; i < out.length; i++) out[i] = rng() < 0.5 ? -c : c;
  return out;
}

/**
 * Kaiming-uniform scores U(-b, b) with b = 1 / sqrt(fan_in): what the reference's
 * kaiming_uniform_(scores, a=sqrt(5)) gives (gain sqrt(2 / (1 + 5)) times sqrt(3 / fan_in)).
 * `draw` 0 is the initial draw; iEP's 'reinit' variant uses draw c at cycle c.
 */
export function kaimingUniformScores(shape: TorchShape, seed: number, layer: string, draw = 0): Float32Array {
  const label = draw === 0 ? `scores/${layer}` : `scores/${layer}/draw${draw}`;
  const rng = mulberry32(deriveSeed(seed, label));
  const b = 1 / Math.sqrt(fanIn(shape));
  const out = new Float32Array(size(shape));
  for (let i = 0; i < out.length; i++) out[i] = (2 * rng() - 1) * b;
  return out;
}

/**
 * Kaiming-normal weights N(0, 2 / fan_in) (PyTorch's kaiming_normal_, mode fan_in, ReLU gain) for the dense
 * baseline, by Box-Muller from the stream 'dense/<layer>': one normal per pair of uniforms, so the stream is simple
 * to reproduce elsewhere.
 */
export function kaimingNormal(shape: TorchShape, seed: number, layer: string): Float32Array {
  const rng = mulberry32(deriveSeed(seed, `dense/${layer}`));
  const std = Math.sqrt(2 / fanIn(shape));
  const out = new Float32Array(size(shape));
  for (let i = 0; i < out.length; i++) {
    // 1 - u is in (0, 1]: the logarithm stays finite.
    const radius = Math.sqrt(-2 * Math.log(1 - rng()));
    out[i] = std * radius * Math.cos(2 * Math.PI * rng());
  }
  return out;
}

/** Uniform [0, 1) values from a named stream (IteRand's seeded choice of which pruned weights to re-draw). */
export function uniforms(shape: TorchShape, seed: number, label: string): Float32Array {
  const rng = mulberry32(deriveSeed(seed, label));
  return Float32Array.from({ length: size(shape) }, () => rng());
}

/** TF.js shape of a weight: [kh, kw, in, out] for convs, [in, out] for linear layers. */
export function tfShape(shape: TorchShape): number[] {
  return shape.length === 4 ? [shape[2], shape[3], shape[1], shape[0]] : [shape[1], shape[0]];
}

/** Reorders [out, in, kh, kw] (or [out, in]) data into TF.js's [kh, kw, in, out] (or [in, out]). */
export function toTfLayout(data: Float32Array, shape: TorchShape): Float32Array {
  const [o, i] = shape;
  const kh = shape.length === 4 ? shape[2] : 1;
  const kw = shape.length === 4 ? shape[3] : 1;
  const out = new Float32Array(data.length);
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) out[((y * kw + x) * i + b) * o + a] = data[((a * i + b) * kh + y) * kw + x];
  return out;
}
