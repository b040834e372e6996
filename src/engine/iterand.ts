// IteRand (Chijiwa et al., NeurIPS 2021, "Pruning Randomly Initialized Neural Networks with Iterative
// Randomization"), implemented from the paper: edge-popup whose frozen weights are partly re-drawn every K_per steps,
// so the search can reach weights the initial draw never offered. At each K_per boundary, in each layer, exactly
// floor(lambda * pruned) of the currently pruned weights get fresh values from the initial distribution (signed
// Kaiming constant); kept weights never change and the scores carry on. Edge usage is per edge, whatever its current
// weight: an edge never selected is a dying edge even if its weight was re-drawn.
import * as tf from '@tensorflow/tfjs';
import type { ComparisonConfig, RunConfig } from '../protocol/config';
import { signedKaimingConstant, tfShape, toTfLayout, uniforms } from './init';
import { keptCount, topMask } from './mask';
import type { Model } from './models';
import type { Plan } from './schedule';
import { Search, type Batch, type SearchSnapshot } from './search';
import { floats } from './vars';

export interface IteRandSettings {
  /** Steps between re-draws (the paper's K_per). */
  kPer: number;
  /** Fraction of the pruned weights re-drawn at each boundary (the paper's r, lambda here). */
  lambda: number;
}

/** The paper's CIFAR-10 defaults. */
export const ITERAND_DEFAULTS: IteRandSettings = { kPer: 300, lambda: 0.1 };

/** A snapshot with the weights: re-drawn weights depend on the masks at each boundary, so the seed cannot rebuild them. */
export interface IteRandSnapshot extends SearchSnapshot {
  weights: Float32Array[];
}

/** Weights re-drawn in a layer of `edges` edges with `kept` of them kept: floor(lambda * pruned). */
export function redrawCount(edges: number, kept: number, lambda: number): number {
  return Math.floor(lambda * (edges - kept));
}

export class IteRandSearch extends Search {
  readonly settings: IteRandSettings;
  private readonly seed: number;

  /** EP's plan: one cycle at the target rate. `run` names the run (its id) in the comparison's reports. */
  constructor(
    config: ComparisonConfig,
    model: Model,
    plan: Plan,
    settings: IteRandSettings = ITERAND_DEFAULTS,
    run: RunConfig = { id: 'iterand', label: 'IteRand', method: 'iterand', iterand: settings },
  ) {
    if (!Number.isInteger(settings.kPer) || settings.kPer < 1) {
      throw new Error(`IteRand: K_per must be a whole number of steps >= 1, got ${settings.kPer}`);
    }
    if (!(settings.lambda >= 0 && settings.lambda <= 1)) {
      throw new Error(`IteRand: lambda must be between 0 and 1, got ${settings.lambda}`);
    }
    super(config, run, model, plan);
    this.settings = settings;
    this.seed = config.seed;
  }

  override step(batch: Batch): void {
    const t = this.stepsDone;
    if (t > 0 && t % this.settings.kPer === 0 && !this.done) this.redraw(t / this.settings.kPer);
    super.step(batch);
  }

  /**
   * Boundary b: per layer, the pruned weights of the mask this step would use (current scores, rate p) are ranked by
   * seeded priorities from the stream 'iterand/<layer>/<b>' (PyTorch layout, as every draw); the top
   * floor(lambda * pruned) of them take their values from the weight draw b ('weights/<layer>/draw<b>').
   */
  private redraw(boundary: number): void {
    const p = this.cycle.p;
    for (const l of this.model.layers) {
      const kept = keptCount(l.edges, p);
      const count = redrawCount(l.edges, kept, this.settings.lambda);
      if (count === 0) continue;
      const shape = tfShape(l.shape);
      const priority = toTfLayout(uniforms(l.shape, this.seed, `iterand/${l.name}/${boundary}`), l.shape);
      const fresh = toTfLayout(signedKaimingConstant(l.shape, this.seed, l.name, boundary), l.shape);
      tf.tidy(() => {
        const pruned = tf.sub(1, topMask(l.scores, kept));
        const chosen = topMask(tf.tensor(priority, shape), count, pruned);
        l.weights.assign(tf.where(tf.greater(chosen, 0), tf.tensor(fresh, shape), l.weights));
      });
    }
  }

  override async snapshot(): Promise<IteRandSnapshot> {
    const weights = await Promise.all(this.model.layers.map((l) => floats(l.weights)));
    return { ...(await super.snapshot()), weights };
  }

  override restore(s: SearchSnapshot | IteRandSnapshot): void {
    if (!('weights' in s) || s.weights.length !== this.model.layers.length) {
      throw new Error('an IteRand snapshot must hold the weights of every layer (they are re-drawn as it runs)');
    }
    super.restore(s);
    tf.tidy(() => this.model.layers.forEach((l, i) => l.weights.assign(tf.tensor(s.weights[i], l.weights.shape))));
  }
}
