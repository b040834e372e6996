// Telemetry: what a search reports, in the browser and on the remote worker alike. The JSON Schema in
// telemetry.schema.json describes exactly these types; keep the two in step and bump CONFIG_VERSION on change.

import type { BackendName, ComparisonConfig, RunId } from './config';

/** One masked layer as the model summary lists it. */
export interface LayerSummary {
  name: string;
  kind: 'conv' | 'linear';
  /** Weight shape as [out, in, kh, kw] for convs and [out, in] for linear layers. */
  shape: number[];
  /** Total edges (weights) in the layer. */
  edges: number;
  /** Edges kept at the target pruning rate: round((1 - p_T) * edges). */
  keptAtTarget: number;
}

export interface ModelSummary {
  model: string;
  width: number;
  layers: LayerSummary[];
  totalEdges: number;
  keptAtTarget: number;
}

/** A pooled [rows x cols] map over [out channels x in channels], row-major. */
export interface Heatmap {
  rows: number;
  cols: number;
  /** Mean selection rate of the edges in each cell, over all steps so far (averaged over kernel positions). */
  usage: number[];
  /** Fraction of the edges in each cell never selected so far (1 = a cell of dying edges only). */
  dead: number[];
}

export interface LayerReport {
  name: string;
  /** Edges kept at this step: round((1 - p) * edges). */
  kept: number;
  /** d_t: fraction of the layer's edges never selected at any step so far. */
  dyingRatio: number;
  /** Fraction never ranked inside the TARGET kept fraction (top (1 - p_T) of |S|) at any step so far. */
  dyingRatioAtTarget: number;
  /** Edges that entered / left the mask, summed over the steps since the previous report. */
  entered: number;
  left: number;
  heatmap: Heatmap;
}

export interface StepReport {
  kind: 'step';
  /** The id of the run in its comparison's config.runs. */
  run: RunId;
  /** Steps done by this run (1-based after the first step). */
  step: number;
  totalSteps: number;
  /** Epochs done, fractional. */
  epoch: number;
  /** 1-based cycle (EP, dense and IteRand are always cycle 1 of 1). */
  cycle: number;
  cycles: number;
  /** Pruning rate p at this step (fraction pruned; 0 for a dense run). */
  pruningRate: number;
  learningRate: number;
  /** Mean training loss and accuracy over the steps since the previous report. */
  loss: number;
  trainAccuracy: number;
  imagesPerSecond: number;
  /** Every masked layer's edge usage; empty for a dense run (no mask). */
  layers: LayerReport[];
}

export interface EvalReport {
  kind: 'eval';
  /** The id of the run in its comparison's config.runs. */
  run: RunId;
  step: number;
  epoch: number;
  cycle: number;
  pruningRate: number;
  testAccuracy: number;
  testLoss: number;
  reason: 'epoch' | 'cycle-end' | 'final';
}

export type Report = StepReport | EvalReport;

export interface BackendInfo {
  /** A TF.js backend in the browser; 'cuda' or 'torch-cpu' on the remote worker. */
  name: BackendName | 'cuda' | 'torch-cpu';
  /** Why this backend, and why not a faster one (e.g. "WebGPU: no adapter (navigator.gpu missing)"). */
  reason: string;
  /** Adapter description where known, e.g. "swiftshader (fallback adapter)". */
  adapter?: string;
}

/** A whole recorded comparison: what export writes and import/replay reads. */
export interface RunRecord {
  format: 'supermask-studio/run';
  version: number;
  id: string;
  createdAt: string;
  source: 'browser' | 'remote';
  backend: BackendInfo | null;
  config: ComparisonConfig;
  summary: ModelSummary;
  reports: StepReport[];
  evals: EvalReport[];
  /** Set when the run ended in an error; everything reported before it is kept. */
  error: string | null;
}
