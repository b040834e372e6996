// The supported nets, built from supermask layers (every conv and linear layer, first and last included) and
// affine-free BatchNorm where the reference nets have BN. Channel counts scale with `width`.
import * as tf from '@tensorflow/tfjs';
import type { ModelName } from '../protocol/config';
import type { ModelSummary } from '../protocol/report';
import { BatchNorm } from './batchnorm';
import { keptCount } from './mask';
import { SupermaskLayer, type LayerSpec } from './supermask';

const CLASSES = 10;

/** How a forward pass gets each layer's effective weight (with or without the straight-through gradient). */
export type WeightOf = (layer: SupermaskLayer) => tf.Tensor;

export interface Model {
  name: ModelName;
  width: number;
  layers: SupermaskLayer[];
  norms: BatchNorm[];
  /** NHWC images in, logits [N, 10] out. */
  forward(x: tf.Tensor4D, weightOf: WeightOf, training: boolean): tf.Tensor2D;
  dispose(): void;
}

export function channels(c: number, width: number): number {
  return Math.max(1, Math.round(c * width));
}

/** Collects layers and norms while a net's structure is declared, so forward() can refer to them by name. */
class Builder {
  layers: SupermaskLayer[] = [];
  norms: BatchNorm[] = [];
  constructor(
    private seed: number,
    private affineNorms = false,
  ) {}

  conv(name: string, cin: number, cout: number, k: number, stride = 1): SupermaskLayer {
    const spec: LayerSpec = { name, kind: 'conv', shape: [cout, cin, k, k], stride, pad: (k - 1) / 2 };
    const layer = new SupermaskLayer(spec, this.seed);
    this.layers.push(layer);
    return layer;
  }

  linear(name: string, cin: number, cout: number): SupermaskLayer {
    const layer = new SupermaskLayer({ name, kind: 'linear', shape: [cout, cin] }, this.seed);
    this.layers.push(layer);
    return layer;
  }

  bn(name: string, c: number): BatchNorm {
    const norm = new BatchNorm(name, c, this.affineNorms);
    this.norms.push(norm);
    return norm;
  }
}

/**
 * 2x2 max-pooling, stride 2, whose gradient goes to the first maximum of a window (row-major) on a tie, as PyTorch's
 * and tf's cpu backend do. tf's wasm and WebGPU kernels send it elsewhere, and ties are common: a window that ReLU
 * zeroed entirely. Without this, Conv-n scores on those backends part from the reference in the first step.
 */
export const pool = tf.customGrad((...args: unknown[]) => {
  const [x, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
  // Kept through save(): an intermediate captured by the closure would be freed before the backward pass.
  save([x]);
  return {
    value: tf.maxPool(x, 2, 2, 'valid'),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => [
      firstMaxGradient(saved[0] as tf.Tensor4D, dy as tf.Tensor4D),
    ],
  };
}) as (x: tf.Tensor4D) => tf.Tensor4D;

function firstMaxGradient(x: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const [ph, pw] = [Math.floor(h / 2), Math.floor(w / 2)];
  // The window's four elements as four tensors of the pooled shape, in row-major order.
  const at = (row: number, col: number) =>
    tf.stridedSlice(x, [0, row, col, 0], [n, 2 * ph, 2 * pw, c], [1, 2, 2, 1]) as tf.Tensor4D;
  const elements = [at(0, 0), at(0, 1), at(1, 0), at(1, 1)];
  const max = elements.reduce((m, e) => tf.maximum(m, e));
  // Each element's share: dy where it is a maximum and no element before it was.
  let taken: tf.Tensor = tf.zerosLike(max);
  const shares = elements.map((e) => {
    const mine = tf.mul(tf.cast(tf.equal(e, max), 'float32'), tf.sub(1, taken));
    taken = tf.add(taken, mine);
    return tf.mul(mine, dy);
  });
  // Interleaved back: columns within a row of windows, then the two rows.
  const row = (left: tf.Tensor, right: tf.Tensor) => tf.reshape(tf.stack([left, right], 3), [n, ph, 2 * pw, c]);
  const back = tf.reshape(tf.stack([row(shares[0], shares[1]), row(shares[2], shares[3])], 2), [n, 2 * ph, 2 * pw, c]);
  // A row or column that 'valid' pooling left out gets no gradient.
  return tf.pad(back, [
    [0, 0],
    [0, h - 2 * ph],
    [0, w - 2 * pw],
    [0, 0],
  ]) as tf.Tensor4D;
}

/**
 * edge-popup's Conv-2/4/6 (allenai/hidden-networks models/conv.py): 3x3 convs 64-64-pool[-128-128-pool
 * [-256-256-pool]], then fully connected 256-256-10, ReLU between; no BatchNorm, as in the reference.
 * The flatten is NHWC order (the reference flattens NCHW): same function class, different edge numbering.
 */
function convNet(name: ModelName, blocks: number, width: number, seed: number): Model {
  const b = new Builder(seed);
  const plan = [64, 128, 256].slice(0, blocks).map((c) => channels(c, width));
  const convs: SupermaskLayer[][] = [];
  let cin = 3;
  plan.forEach((c, i) => {
    convs.push([b.conv(`conv${2 * i + 1}`, cin, c, 3), b.conv(`conv${2 * i + 2}`, c, c, 3)]);
    cin = c;
  });
  const side = 32 >> blocks;
  const hidden = channels(256, width);
  const fc1 = b.linear('fc1', cin * side * side, hidden);
  const fc2 = b.linear('fc2', hidden, hidden);
  const fc3 = b.linear('fc3', hidden, CLASSES);
  return {
    name,
    width,
    layers: b.layers,
    norms: b.norms,
    forward(x, weightOf) {
      let h: tf.Tensor = x;
      for (const [c1, c2] of convs) {
        h = tf.relu(c1.apply(h, weightOf(c1)));
        h = pool(tf.relu(c2.apply(h, weightOf(c2))) as tf.Tensor4D);
      }
      h = tf.reshape(h, [x.shape[0], -1]);
      h = tf.relu(fc1.apply(h, weightOf(fc1)));
      h = tf.relu(fc2.apply(h, weightOf(fc2)));
      return fc3.apply(h, weightOf(fc3)) as tf.Tensor2D;
    },
    dispose() {
      b.layers.forEach((l) => l.dispose());
    },
  };
}

interface Block {
  conv1: SupermaskLayer;
  bn1: BatchNorm;
  conv2: SupermaskLayer;
  bn2: BatchNorm;
  shortcut: { conv: SupermaskLayer; bn: BatchNorm } | null;
}

/**
 * CIFAR ResNets with basic blocks: 3x3 stem (stride 1, no max-pool), stages of blocks, global average pool, linear.
 * Shortcuts are option B (masked 1x1 conv + BN) where the shape changes, identity otherwise.
 * ResNet-20/32 (He et al. 2016): 3 stages of 16-32-64 channels, 3 / 5 blocks each.
 * ResNet-18 (the edge-popup / iEP CIFAR net): 4 stages of 64-128-256-512 channels, 2 blocks each.
 */
function resNet(
  name: ModelName,
  stages: number[],
  blocksPerStage: number,
  width: number,
  seed: number,
  affineNorms: boolean,
): Model {
  const b = new Builder(seed, affineNorms);
  const c0 = channels(stages[0], width);
  const stem = b.conv('conv1', 3, c0, 3);
  const stemBn = b.bn('bn1', c0);
  const blocks: Block[] = [];
  let cin = c0;
  stages.forEach((c, s) => {
    const cout = channels(c, width);
    for (let i = 0; i < blocksPerStage; i++) {
      const stride = s > 0 && i === 0 ? 2 : 1;
      const p = `layer${s + 1}.${i}`;
      const conv1 = b.conv(`${p}.conv1`, cin, cout, 3, stride);
      const bn1 = b.bn(`${p}.bn1`, cout);
      const conv2 = b.conv(`${p}.conv2`, cout, cout, 3);
      const bn2 = b.bn(`${p}.bn2`, cout);
      const shortcut =
        stride !== 1 || cin !== cout
          ? { conv: b.conv(`${p}.shortcut`, cin, cout, 1, stride), bn: b.bn(`${p}.shortcut_bn`, cout) }
          : null;
      blocks.push({ conv1, bn1, conv2, bn2, shortcut });
      cin = cout;
    }
  });
  const fc = b.linear('fc', cin, CLASSES);
  return {
    name,
    width,
    layers: b.layers,
    norms: b.norms,
    forward(x, weightOf, training) {
      let h = tf.relu(stemBn.apply(stem.apply(x, weightOf(stem)), training));
      for (const blk of blocks) {
        const y = tf.relu(blk.bn1.apply(blk.conv1.apply(h, weightOf(blk.conv1)), training));
        const z = blk.bn2.apply(blk.conv2.apply(y, weightOf(blk.conv2)), training);
        const sc = blk.shortcut
          ? blk.shortcut.bn.apply(blk.shortcut.conv.apply(h, weightOf(blk.shortcut.conv)), training)
          : h;
        h = tf.relu(tf.add(z, sc));
      }
      // A mean over H and W instead of avgPool: same value, and its gradient needs no pooling kernel.
      const pooled = tf.mean(h, [1, 2]);
      return fc.apply(pooled, weightOf(fc)) as tf.Tensor2D;
    },
    dispose() {
      b.layers.forEach((l) => l.dispose());
      b.norms.forEach((n) => n.dispose());
    },
  };
}

export interface BuildOptions {
  /** BatchNorm with learnable scale and shift (the dense baseline); the searches keep edge-popup's affine-free BN. */
  affineNorms?: boolean;
}

export function buildModel(name: ModelName, width: number, seed: number, options: BuildOptions = {}): Model {
  const affine = options.affineNorms ?? false;
  switch (name) {
    case 'conv2':
      return convNet(name, 1, width, seed);
    case 'conv4':
      return convNet(name, 2, width, seed);
    case 'conv6':
      return convNet(name, 3, width, seed);
    case 'resnet20':
      return resNet(name, [16, 32, 64], 3, width, seed, affine);
    case 'resnet32':
      return resNet(name, [16, 32, 64], 5, width, seed, affine);
    case 'resnet18':
      return resNet(name, [64, 128, 256, 512], 2, width, seed, affine);
  }
}

export function summarize(model: Model, targetPruningRate: number): ModelSummary {
  const layers = model.layers.map((l) => ({
    name: l.name,
    kind: l.kind,
    shape: [...l.shape],
    edges: l.edges,
    keptAtTarget: keptCount(l.edges, targetPruningRate),
  }));
  return {
    model: model.name,
    width: model.width,
    layers,
    totalEdges: layers.reduce((a, l) => a + l.edges, 0),
    keptAtTarget: layers.reduce((a, l) => a + l.keptAtTarget, 0),
  };
}
