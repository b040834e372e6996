// The one table of what the setup form shows for each config field: its label, its input's step, a unit, the
// glossary entry its label opens, a hint. With config.ts's FIELD_LIMITS (ranges), FIELD_OPTIONS (choices),
// NULLABLE_FIELDS and BOOLEAN_FIELDS it drives validateConfig, the form (views/studio/TableField.tsx) and a test
// against the JSON Schema (test/unit/protocol/fields.test.ts). Paths under a run (iep.*, dense.*, iterand.*) are
// relative to that run: the form places them at runs[i].
import {
  BOOLEAN_FIELDS,
  FIELD_LIMITS,
  FIELD_OPTIONS,
  NULLABLE_FIELDS,
  type LimitedField,
  type SelectField,
} from './config';

export type FieldPath = LimitedField | SelectField | (typeof BOOLEAN_FIELDS)[number];

export interface FieldSpec {
  label: string;
  /** The number input's step ('any' for reals); absent for selects and check boxes. */
  step?: number | 'any';
  unit?: string;
  /** A glossary term (views/studio/glossary.ts) its label opens. */
  help?: string;
  /** Said beside the input, e.g. what an empty value means. */
  hint?: string;
}

export const FIELD_TABLE: Record<FieldPath, FieldSpec> = {
  model: { label: 'Model' },
  width: { label: 'Width', step: 'any', unit: '×' },
  seed: { label: 'Seed', step: 1 },
  targetPruningRate: { label: 'Target pruning rate p', step: 0.001, help: 'pruningRate' },
  epochs: { label: 'Epochs (EP)', step: 'any' },
  batchSize: { label: 'Batch size', step: 1 },
  learningRate: { label: 'Learning rate', step: 'any' },
  momentum: { label: 'Momentum', step: 'any' },
  weightDecay: { label: 'Weight decay', step: 'any', hint: "empty: the model's default" },
  budget: { label: 'Budget', help: 'equalCompute' },
  reportEvery: { label: 'Report every', step: 1, unit: 'steps' },
  trainLimit: { label: 'Training images', step: 1, hint: 'empty: all' },
  testLimit: { label: 'Test images', step: 1, hint: 'empty: all' },
  backend: { label: 'Backend' },
  method: { label: 'Method' },
  'iep.cycles': { label: 'iEP cycles', step: 1, help: 'cycle' },
  'iep.schedule': { label: 'Schedule', help: 'iep' },
  'iep.variant': { label: 'iEP variant' },
  'iep.scores': { label: 'Scores at each cycle' },
  'iep.lrRewind': { label: 'Rewind learning rate' },
  'iep.points.step': { label: 'Cycle starts at step', step: 1 },
  'iep.points.p': { label: 'Cycle pruning rate p', step: 0.001 },
  'dense.learningRate': { label: 'Dense learning rate', step: 'any', hint: 'empty: the shared one' },
  'iterand.kPer': { label: 'Re-draw every K_per steps', step: 1, help: 'iterand' },
  'iterand.lambda': { label: 'Fraction λ of pruned weights', step: 'any' },
};

export type FieldKind = 'number' | 'select' | 'boolean';

export function fieldKind(path: FieldPath): FieldKind {
  if (path in FIELD_OPTIONS) return 'select';
  if ((BOOLEAN_FIELDS as readonly string[]).includes(path)) return 'boolean';
  return 'number';
}

export function isNullable(path: FieldPath): boolean {
  return (NULLABLE_FIELDS as readonly string[]).includes(path);
}

/** The input's own range hints (the browser's), from FIELD_LIMITS. */
export function rangeOf(path: FieldPath): { min?: number; max?: number } {
  if (!(path in FIELD_LIMITS)) return {};
  const { min, max } = FIELD_LIMITS[path as LimitedField];
  return { min, max };
}
