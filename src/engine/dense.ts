// The dense baseline ("regular weight" in the seed paper): the same architecture with its weights trained as usual,
// no mask. Kaiming-normal weights, BatchNorm with learnable scale and shift, and the searches' optimiser recipe
// (SGD with momentum, weight decay per model, one cosine over the run) on every trainable parameter. It trains on
// the batches of the engine's BatchOrder for (seed, t), as every run does, with EP's step budget. Its reports are the
// searches' StepReport with pruning rate 0, one cycle and no layers: a dense net has no mask and no edge usage.
import * as tf from '@tensorflow/tfjs';
import type { LocalConfig, RunConfig, RunId } from '../protocol/config';
import type { EvalReport, StepReport } from '../protocol/report';
import { defaultWeightDecay } from '../protocol/config';
import { kaimingNormal, tfShape, toTfLayout } from './init';
import { lossAndCorrect, sgdUpdate, testMetrics, closeWindow } from './metrics';
import { buildModel, type Model } from './models';
import { learningRateAt, makePlan, type Cycle, type Plan } from './schedule';
import type { Batch } from './search';
import type { SupermaskLayer } from './supermask';
import { floats, variable } from './vars';
import { normStates, restoreNormStates, type NormState } from './batchnorm';
import { workDone } from './workDone';

/** Everything a dense run needs to go on exactly where it was: its trained parameters are not in the seed. */
export interface DenseSnapshot {
  run: RunId;
  stepsDone: number;
  /** Weights, then BatchNorm scales and shifts, in DenseRun's parameter order; momentum alike. */
  params: Float32Array[];
  momentum: Float32Array[];
  norms: NormState[];
  window: { steps: number; images: number; lossSum: number; correct: number };
}

const DEFAULT_RUN: RunConfig = { id: 'dense', label: 'dense', method: 'dense', dense: { learningRate: null } };

export class DenseRun {
  readonly method = 'dense';
  readonly run: RunId;
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

  /** `trainCount`: images in the (limited) training split, for EP's budget; `run`: its id and learning rate. */
  constructor(
    private readonly config: LocalConfig,
    trainCount: number,
    run: RunConfig = DEFAULT_RUN,
  ) {
    const { seed } = config;
    this.run = run.id;
    // The model's own frozen weights and scores go unused: the forward pass takes these weights instead.
    this.model = buildModel(config.model, config.width, seed, { affineNorms: true });
    this.plan = makePlan(config, run.method === 'dense' ? run : DEFAULT_RUN, trainCount);
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

  /** Its one cycle, at pruning rate 0. */
  get cycle(): Cycle {
    return this.plan.cycles[0];
  }

  /** Waits for this run's queued work, so its images/s stay its own (as Search.settle). */
  async settle(): Promise<void> {
    const t0 = performance.now();
    await workDone(this.lossSum);
    this.window.ms += performance.now() - t0;
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
  async report(): Promise<StepReport> {
    const readout = tf.tidy(() => tf.stack([this.lossSum, this.correctSum]));
    const t0 = performance.now();
    const [lossSum, correct] = (await readout.data()) as Float32Array;
    this.window.ms += performance.now() - t0;
    readout.dispose();
    const w = this.window;
    const sums = { loss: this.lossSum, correct: this.correctSum };
    const report: StepReport = {
      kind: 'step',
      run: this.run,
      step: this.stepsDone,
      totalSteps: this.plan.totalSteps,
      epoch: this.stepsDone / this.plan.stepsPerEpoch,
      cycle: 1,
      cycles: 1,
      pruningRate: 0,
      learningRate: learningRateAt(this.plan, Math.max(0, this.stepsDone - 1)),
      ...closeWindow(w, sums, lossSum, correct),
      layers: [],
    };
    this.window = { steps: 0, images: 0, ms: 0 };
    return report;
  }

  /** Test accuracy and loss on the given batches (disposed here), with BatchNorm's running statistics. */
  async evaluate(batches: Iterable<Batch>, reason: EvalReport['reason']): Promise<EvalReport> {
    const metrics = await testMetrics(batches, (x) => this.model.forward(x, this.weightOf, false));
    return {
      kind: 'eval',
      run: this.run,
      step: this.stepsDone,
      epoch: this.stepsDone / this.plan.stepsPerEpoch,
      cycle: 1,
      pruningRate: 0,
      ...metrics,
      reason,
    };
  }

  async snapshot(): Promise<DenseSnapshot> {
    const [lossSum, correct] = [(await this.lossSum.data())[0], (await this.correctSum.data())[0]];
    return {
      run: this.run,
      stepsDone: this.stepsDone,
      params: await Promise.all(this.params.map((p) => floats(p))),
      momentum: await Promise.all(this.momentum.map((m) => floats(m))),
      norms: await normStates(this.model.norms),
      window: { steps: this.window.steps, images: this.window.images, lossSum, correct },
    };
  }

  restore(s: DenseSnapshot): void {
    if (s.run !== this.run || s.params.length !== this.params.length) {
      throw new Error(`snapshot of ${s.run} (${s.params.length} parameters) does not fit this dense run ${this.run}`);
    }
    tf.tidy(() => {
      this.params.forEach((p, i) => p.assign(tf.tensor(s.params[i], p.shape, 'float32')));
      this.momentum.forEach((m, i) => m.assign(tf.tensor(s.momentum[i], m.shape, 'float32')));
      restoreNormStates(this.model.norms, s.norms);
      this.lossSum.assign(tf.scalar(s.window.lossSum));
      this.correctSum.assign(tf.scalar(s.window.correct));
    });
    this.stepsDone = s.stepsDone;
    this.window = { steps: s.window.steps, images: s.window.images, ms: 0 };
  }

  dispose(): void {
    this.weights.forEach((w) => w.dispose());
    this.momentum.forEach((m) => m.dispose());
    this.lossSum.dispose();
    this.correctSum.dispose();
    this.model.dispose();
  }
}
