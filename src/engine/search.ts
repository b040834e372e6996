// One search (EP, iEP or, through IteRandSearch, IteRand) over a supermask model: the training step (masks, straight-through gradient, SGD on the
// scores), cycle starts (score carry / rewind / re-init, hard iEP's allowed mask), telemetry and evaluation.
import * as tf from '@tensorflow/tfjs';
import { floats, variable } from './vars';
import { normStates, restoreNormStates, type NormState } from './batchnorm';
import type { ComparisonConfig, IepConfig, RunConfig, RunId } from '../protocol/config';
import { defaultWeightDecay } from '../protocol/config';
import type { EvalReport, LayerReport, StepReport } from '../protocol/report';
import { keptCount, topMask } from './mask';
import { lossAndCorrect, sgdUpdate, testMetrics, closeWindow } from './metrics';
import type { Model } from './models';
import { cycleAt, learningRateAt, type Cycle, type Plan } from './schedule';
import { maskedWeight, type SupermaskLayer } from './supermask';
import { LayerUsage, type UsageState } from './usage';
import { workDone } from './workDone';

export interface Batch {
  x: tf.Tensor4D;
  y: tf.Tensor1D;
}

/** Everything a search needs to continue exactly where it was (weights are re-drawn from the seed). */
export interface SearchSnapshot {
  run: RunId;
  stepsDone: number;
  layers: {
    name: string;
    scores: Float32Array;
    momentum: Float32Array;
    allowed: Float32Array | null;
    usage: UsageState;
  }[];
  norms: NormState[];
  window: { steps: number; images: number; lossSum: number; correct: number };
}

export class Search {
  readonly run: RunId;
  readonly plan: Plan;
  /** iEP's settings; null for a single-cycle search (EP, IteRand). */
  private readonly iep: IepConfig | null;
  readonly model: Model;
  stepsDone = 0;
  private readonly usage: LayerUsage[];
  private readonly momentum: tf.Variable[];
  /** Hard iEP: edges the current cycle may select (the previous cycle's mask); null = all. */
  private allowed: (tf.Variable | null)[];
  private readonly weightDecay: number;
  private readonly lossSum = variable(() => tf.scalar(0), false);
  private readonly correctSum = variable(() => tf.scalar(0), false);
  private window = { steps: 0, images: 0, ms: 0 };

  constructor(
    private readonly config: ComparisonConfig,
    run: RunConfig,
    model: Model,
    plan: Plan,
  ) {
    if (run.method === 'dense') throw new Error(`${run.id}: a dense run is not a search (engine/dense.ts)`);
    this.run = run.id;
    this.iep = run.method === 'iep' ? run.iep : null;
    this.model = model;
    this.plan = plan;
    this.usage = model.layers.map((l) => new LayerUsage(l));
    this.momentum = model.layers.map((l) => variable(() => tf.zerosLike(l.scores), false));
    this.allowed = model.layers.map(() => null);
    this.weightDecay = config.weightDecay ?? defaultWeightDecay(config.model);
  }

  get done(): boolean {
    return this.stepsDone >= this.plan.totalSteps;
  }

  /** The cycle of the last step done (or of the first step before any). */
  get cycle(): Cycle {
    return cycleAt(this.plan, Math.max(0, this.stepsDone - 1));
  }

  private masksAt(p: number): tf.Tensor[] {
    return this.model.layers.map((l, i) => topMask(l.scores, keptCount(l.edges, p), this.allowed[i]));
  }

  /** One step of search on a batch. Reads nothing back. */
  step(batch: Batch): void {
    if (this.done) throw new Error(`${this.run}: all ${this.plan.totalSteps} steps are done`);
    const t0 = performance.now();
    const t = this.stepsDone;
    const cycle = cycleAt(this.plan, t);
    if (t === cycle.start && t > 0) this.beginCycle(cycle);
    const lr = learningRateAt(this.plan, t);
    const target = this.config.targetPruningRate;
    const layers = this.model.layers;
    tf.tidy(() => {
      const masks = this.masksAt(cycle.p);
      const targetMasks = cycle.p === target ? masks : this.masksAt(target);
      const index = new Map<SupermaskLayer, number>(layers.map((l, i) => [l, i]));
      const { grads } = tf.variableGrads(
        () => {
          const logits = this.model.forward(
            batch.x,
            (l) => maskedWeight(l.scores, l.weights, masks[index.get(l)!]),
            true,
          );
          const { loss, correct } = lossAndCorrect(logits, batch.y);
          this.lossSum.assign(tf.add(this.lossSum, loss));
          this.correctSum.assign(tf.add(this.correctSum, correct));
          return loss;
        },
        layers.map((l) => l.scores),
      );
      const sgd = { lr, momentum: this.config.momentum, weightDecay: this.weightDecay };
      layers.forEach((l, i) => sgdUpdate(l.scores, grads[l.scores.name], this.momentum[i], sgd));
      masks.forEach((m, i) => this.usage[i].update(m, targetMasks[i]));
    });
    this.stepsDone++;
    this.window.steps++;
    this.window.images += batch.y.shape[0];
    this.window.ms += performance.now() - t0;
  }

  /** A cycle starts: fix hard iEP's search space, then carry / rewind / re-draw the scores, reset momentum. */
  private beginCycle(cycle: Cycle): void {
    const previous = this.plan.cycles[cycle.index - 2];
    const { iep } = this;
    const { seed } = this.config;
    const layers = this.model.layers;
    // Only iEP has more than one cycle.
    if (!iep) return;
    if (iep.variant === 'hard') {
      // The previous cycle's mask, from its final scores, before they are rewound or re-drawn.
      const masks = this.masksAt(previous.p);
      this.allowed = this.allowed.map((old, i) => {
        old?.dispose();
        const v = tf.variable(masks[i], false);
        masks[i].dispose();
        return v;
      });
    }
    if (iep.scores !== 'carry') {
      const draw = iep.scores === 'rewind' ? 0 : cycle.index - 1;
      layers.forEach((l) => tf.tidy(() => l.scores.assign(tf.tensor(l.scoreDraw(seed, draw), l.scores.shape))));
    }
    this.momentum.forEach((m) => tf.tidy(() => m.assign(tf.zerosLike(m))));
  }

  /**
   * Waits for this run's queued work: GPU backends only queue a step and run it at the next readback, which would
   * bill one run's work to whichever run reads first. Called after each step, it keeps each run's images/s its own.
   */
  async settle(): Promise<void> {
    const t0 = performance.now();
    await workDone(this.lossSum);
    this.window.ms += performance.now() - t0;
  }

  /** Step telemetry since the previous report (one readback of pooled arrays and scalars); resets the window. */
  async report(): Promise<StepReport> {
    const readout = tf.tidy(() =>
      tf.concat([tf.stack([this.lossSum, this.correctSum]), ...this.usage.map((u) => u.readout(this.stepsDone))]),
    );
    // On GPU backends step() only queues work; the wait for this readback is when it runs, so it counts as step time.
    const t0 = performance.now();
    const values = (await readout.data()) as Float32Array;
    this.window.ms += performance.now() - t0;
    readout.dispose();
    const cycle = this.cycle;
    let offset = 2;
    const layers: LayerReport[] = this.model.layers.map((l, i) => {
      const u = this.usage[i];
      const parsed = u.parse(values.subarray(offset, offset + u.readoutSize));
      offset += u.readoutSize;
      u.resetWindow();
      return { name: l.name, kept: keptCount(l.edges, cycle.p), ...parsed };
    });
    const w = this.window;
    const sums = { loss: this.lossSum, correct: this.correctSum };
    const report: StepReport = {
      kind: 'step',
      run: this.run,
      step: this.stepsDone,
      totalSteps: this.plan.totalSteps,
      epoch: this.stepsDone / this.plan.stepsPerEpoch,
      cycle: cycle.index,
      cycles: this.plan.cycles.length,
      pruningRate: cycle.p,
      learningRate: learningRateAt(this.plan, Math.max(0, this.stepsDone - 1)),
      ...closeWindow(w, sums, values[0], values[1]),
      layers,
    };
    this.window = { steps: 0, images: 0, ms: 0 };
    return report;
  }

  /** Test accuracy and loss on the given batches, with the current cycle's mask and BN's running statistics. */
  async evaluate(batches: Iterable<Batch>, reason: EvalReport['reason']): Promise<EvalReport> {
    const cycle = this.cycle;
    const masks = this.masksAt(cycle.p);
    const index = new Map<SupermaskLayer, number>(this.model.layers.map((l, i) => [l, i]));
    const metrics = await testMetrics(batches, (x) =>
      this.model.forward(x, (l) => tf.mul(l.weights, masks[index.get(l)!]), false),
    ).finally(() => masks.forEach((m) => m.dispose()));
    return {
      kind: 'eval',
      run: this.run,
      step: this.stepsDone,
      epoch: this.stepsDone / this.plan.stepsPerEpoch,
      cycle: cycle.index,
      pruningRate: cycle.p,
      ...metrics,
      reason,
    };
  }

  /** Current masks as plain arrays (tests and tools only: reports never read whole masks). */
  async masks(p: number): Promise<Float32Array[]> {
    const masks = this.masksAt(p);
    const out = await Promise.all(masks.map((m) => m.data() as Promise<Float32Array>));
    masks.forEach((m) => m.dispose());
    return out;
  }

  async snapshot(): Promise<SearchSnapshot> {
    const [lossSum, correct] = [(await this.lossSum.data())[0], (await this.correctSum.data())[0]];
    const layers = await Promise.all(
      this.model.layers.map(async (l, i) => ({
        name: l.name,
        scores: await floats(l.scores),
        momentum: await floats(this.momentum[i]),
        allowed: this.allowed[i] ? await floats(this.allowed[i]!) : null,
        usage: await this.usage[i].state(),
      })),
    );
    const norms = await normStates(this.model.norms);
    return {
      run: this.run,
      stepsDone: this.stepsDone,
      layers,
      norms,
      window: { steps: this.window.steps, images: this.window.images, lossSum, correct },
    };
  }

  restore(s: SearchSnapshot): void {
    if (s.run !== this.run || s.layers.length !== this.model.layers.length) {
      throw new Error(`snapshot of ${s.run} (${s.layers.length} layers) does not fit this ${this.run} search`);
    }
    tf.tidy(() => {
      this.model.layers.forEach((l, i) => {
        const ls = s.layers[i];
        if (ls.name !== l.name) throw new Error(`snapshot layer ${ls.name} does not match ${l.name}`);
        l.scores.assign(tf.tensor(ls.scores, l.scores.shape, 'float32'));
        this.momentum[i].assign(tf.tensor(ls.momentum, l.scores.shape, 'float32'));
        this.allowed[i]?.dispose();
        this.allowed[i] = ls.allowed ? variable(() => tf.tensor(ls.allowed!, l.scores.shape, 'float32'), false) : null;
        this.usage[i].setState(ls.usage);
      });
      restoreNormStates(this.model.norms, s.norms);
      this.lossSum.assign(tf.scalar(s.window.lossSum));
      this.correctSum.assign(tf.scalar(s.window.correct));
    });
    this.stepsDone = s.stepsDone;
    this.window = { steps: s.window.steps, images: s.window.images, ms: 0 };
  }

  dispose(): void {
    this.usage.forEach((u) => u.dispose());
    this.momentum.forEach((m) => m.dispose());
    this.allowed.forEach((a) => a?.dispose());
    this.lossSum.dispose();
    this.correctSum.dispose();
    this.model.dispose();
  }
}
