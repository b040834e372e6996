// The dense baseline ("regular weight" in the seed paper): the same architecture with its weights trained as usual,
// no mask. Kaiming-normal weights, BatchNorm with learnable scale and shift, and the searches' optimiser recipe
// (SGD with momentum, weight decay per model, one cosine over the run) on every trainable parameter. It trains on
// the batches of the engine's BatchOrder for (seed, t), as EP and iEP do, with EP's step budget.
import * as tf from '@tensorflow/tfjs';
import type { ComparisonConfig } from '../protocol/config';
import { defaultWeightDecay } from '../protocol/config';
import { kaimingNormal, tfShape, toTfLayout } from './init';
import { lossAndCorrect, sgdUpdate, testMetrics, closeWindow } from './metrics';
import { buildModel, type Model } from './models';
import { learningRateAt, makePlan, type Plan } from './schedule';
import type { Batch } from './search';
import type { SupermaskLayer } from './supermask';
import { variable } from './vars';

/**
 * A dense step report: loss and accuracy only (a dense net has no mask, so no pruning rate and no edge usage).
 * Local to the engine until protocol v2 gives every run of a comparison a method and an id.
 */
export interface DenseStepReport {
  kind: 'step';
  method: 'dense';
  step: number;
  totalSteps: number;
  epoch: number;
  learningRate: number;
  /** Mean training loss and accuracy over the steps since the previous report. */
  loss: number;
  trainAccuracy: number;
  imagesPerSecond: number;
}

export interface DenseEvalReport {
  kind: 'eval';
  method: 'dense';
  step: number;
  epoch: number;
  testAccuracy: number;
  testLoss: number;
  reason: 'epoch' | 'final';
}

export class DenseRun {
  readonly method = 'dense';
  readonly model: Model;
  readonly plan: Plan;
  /** The trained weights, one per masked layer of the searches' model (TF.js layout). */
  readonly weights: tf.Variable[];
  stepsDone = 0;
  /** Weights first, then BatchNorm scales and shifts: every parameter SGD updates. */
  private readonly params: tf.Variable[];
  private readonly momentum: tf.Variable[];
  private readonly weightOf: (layer: SupermaskLayer) => tf.Tensor;
  /** Training loss and correct predictions since the previous report, summed on the device. */
  private readonly lossSum = variable(() => tf.scalar(0), false);
  private readonly correctSum = variable(() => tf.scalar(0), false);
  private window = { steps: 0, images: 0, ms: 0 };
  private readonly weightDecay: number;

  /** `trainCount`: images in the (limited) training split, for EP's budget. */
  constructor(
    private readonly config: ComparisonConfig,
    trainCount: number,
  ) {
    const { seed } = config;
    // The model's own frozen weights and scores go unused: the forward pass takes these weights instead.
    this.model = buildModel(config.model, config.width, seed, { affineNorms: true });
    this.plan = makePlan(config, 'ep', trainCount);
    this.weights = this.model.layers.map((l) =>
      variable(() => tf.tensor(toTfLayout(kaimingNormal(l.shape, seed, l.name), l.shape), tfShape(l.shape)), true),
    );
    const index = new Map<SupermaskLayer, number>(this.model.layers.map((l, i) => [l, i]));
    this.weightOf = (l) => this.weights[index.get(l)!];
    const norms = this.model.norms.flatMap((n) => [n.scale!, n.shift!]);
    this.params = [...this.weights, ...norms];
    this.momentum = this.params.map((p) => variable(() => tf.zerosLike(p), false));
    this.weightDecay = config.weightDecay ?? defaultWeightDecay(config.model);
  }

  get done(): boolean {
    return this.stepsDone >= this.plan.totalSteps;
  }

  /** One SGD step on a batch. Reads nothing back. */
  step(batch: Batch): void {
    if (this.done) throw new Error(`dense: all ${this.plan.totalSteps} steps are done`);
    const t0 = performance.now();
    const lr = learningRateAt(this.plan, this.stepsDone);
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const { loss, correct } = lossAndCorrect(this.model.forward(batch.x, this.weightOf, true), batch.y);
        this.lossSum.assign(tf.add(this.lossSum, loss));
        this.correctSum.assign(tf.add(this.correctSum, correct));
        return loss;
      }, this.params);
      // The searches' optimiser, here on the weights and BatchNorm's scale and shift.
      const sgd = { lr, momentum: this.config.momentum, weightDecay: this.weightDecay };
      this.params.forEach((p, i) => sgdUpdate(p, grads[p.name], this.momentum[i], sgd));
    });
    this.stepsDone++;
    this.window.steps++;
    this.window.images += batch.y.shape[0];
    this.window.ms += performance.now() - t0;
  }

  /** Loss and accuracy since the previous report (one readback); resets the window. */
  async report(): Promise<DenseStepReport> {
    const readout = tf.tidy(() => tf.stack([this.lossSum, this.correctSum]));
    const t0 = performance.now();
    const [lossSum, correct] = (await readout.data()) as Float32Array;
    this.window.ms += performance.now() - t0;
    readout.dispose();
    const w = this.window;
    const sums = { loss: this.lossSum, correct: this.correctSum };
    const report: DenseStepReport = {
      kind: 'step',
      method: 'dense',
      step: this.stepsDone,
      totalSteps: this.plan.totalSteps,
      epoch: this.stepsDone / this.plan.stepsPerEpoch,
      learningRate: learningRateAt(this.plan, Math.max(0, this.stepsDone - 1)),
      ...closeWindow(w, sums, lossSum, correct),
    };
    this.window = { steps: 0, images: 0, ms: 0 };
    return report;
  }

  /** Test accuracy and loss on the given batches (disposed here), with BatchNorm's running statistics. */
  async evaluate(batches: Iterable<Batch>, reason: DenseEvalReport['reason']): Promise<DenseEvalReport> {
    const metrics = await testMetrics(batches, (x) => this.model.forward(x, this.weightOf, false));
    return {
      kind: 'eval',
      method: 'dense',
      step: this.stepsDone,
      epoch: this.stepsDone / this.plan.stepsPerEpoch,
      ...metrics,
      reason,
    };
  }

  dispose(): void {
    this.weights.forEach((w) => w.dispose());
    this.momentum.forEach((m) => m.dispose());
    this.lossSum.dispose();
    this.correctSum.dispose();
    this.model.dispose();
  }
}
