// The setup of the next comparison: what its runs share (network, seed, data, budget), then the runs themselves,
// each with its method's settings. Every field is checked by the protocol's validateConfig and a problem is said at
// the field; the whole config also lives in the URL (see store/url.ts), so a link restores it.
import { useStore } from '../../store';
import {
  FIELD_LIMITS,
  FIELD_OPTIONS,
  withinLimit,
  type ComparisonConfig,
  type LimitedField,
} from '../../protocol/config';
import { memoryEstimate } from '../../protocol/memory';
import { Explain } from './Explain';
import { Field, NumberInput, Select } from './fields';
import { RunsEditor } from './RunsEditor';

const DATASETS = [
  { value: 'cifar10-subset', label: 'CIFAR-10 subset (bundled)' },
  { value: 'cifar10', label: 'CIFAR-10 (full)' },
];

/** The browser's own range hints for a number field, from the protocol's field table. */
function rangeOf(field: LimitedField): { min: number; max: number } {
  return { min: FIELD_LIMITS[field].min, max: FIELD_LIMITS[field].max };
}

function keptPercent(p: number): string {
  return Number.isFinite(p) ? `kept ${((1 - p) * 100).toFixed(1)}%` : 'kept –';
}

export function SetupPanel({ locked }: { locked: boolean }) {
  const config = useStore((s) => s.config);
  const setConfig = useStore((s) => s.setConfig);
  const selectDataset = useStore((s) => s.selectDataset);
  const set = <K extends keyof ComparisonConfig>(key: K, value: ComparisonConfig[K]) =>
    setConfig({ ...config, [key]: value });
  const known = useStore((s) => s.datasets);
  const listed = known.length
    ? known.map((d) => ({ value: d.id, label: d.available ? d.name : `${d.name} (not installed)` }))
    : DATASETS;
  const datasets = listed.some((d) => d.value === config.dataset)
    ? listed
    : [...listed, { value: config.dataset, label: config.dataset }];

  return (
    <section className="setup panel" aria-label="setup">
      <h2>Setup</h2>
      {locked && <p className="setup-locked">Reset to change the setup of a running comparison.</p>}
      <fieldset disabled={locked}>
        <div className="setup-grid">
          <Field field="dataset" label="Dataset">
            {(id) => (
              <Select
                id={id}
                value={config.dataset}
                options={datasets}
                onChange={(v) => {
                  set('dataset', v);
                  // Load it now (the dataset panel shows it), not only when Start asks for it.
                  void selectDataset(v);
                }}
                disabled={locked}
              />
            )}
          </Field>
          <Field field="model" label="Model">
            {(id) => (
              <Select
                id={id}
                value={config.model}
                options={FIELD_OPTIONS.model}
                onChange={(v) => set('model', v)}
                disabled={locked}
              />
            )}
          </Field>
          <Field field="width" label="Width ×">
            {(id, invalid) => (
              <NumberInput
                id={id}
                value={config.width}
                step="any"
                {...rangeOf('width')}
                invalid={invalid}
                disabled={locked}
                onChange={(v) => set('width', v ?? NaN)}
              />
            )}
          </Field>
          <Field field="seed" label="Seed">
            {(id, invalid) => (
              <NumberInput
                id={id}
                value={config.seed}
                step={1}
                {...rangeOf('seed')}
                invalid={invalid}
                disabled={locked}
                onChange={(v) => set('seed', v ?? NaN)}
              />
            )}
          </Field>
          <Field
            field="targetPruningRate"
            label={<Explain term="pruningRate">Target pruning rate p</Explain>}
            hint={<span data-testid="kept-percent">{keptPercent(config.targetPruningRate)}</span>}
          >
            {(id, invalid) => (
              <NumberInput
                id={id}
                value={config.targetPruningRate}
                step={0.001}
                {...rangeOf('targetPruningRate')}
                invalid={invalid}
                disabled={locked}
                onChange={(v) => set('targetPruningRate', v ?? NaN)}
              />
            )}
          </Field>
          <Field field="epochs" label="Epochs (EP)">
            {(id, invalid) => (
              <NumberInput
                id={id}
                value={config.epochs}
                step="any"
                {...rangeOf('epochs')}
                invalid={invalid}
                disabled={locked}
                onChange={(v) => set('epochs', v ?? NaN)}
              />
            )}
          </Field>
          <Field
            field="batchSize"
            label="Batch size"
            hint={
              withinLimit('width', config.width)
                ? `≤ ${memoryEstimate(config.model, config.width).maxBatch}`
                : undefined
            }
          >
            {(id, invalid) => (
              <NumberInput
                id={id}
                value={config.batchSize}
                step={1}
                {...rangeOf('batchSize')}
                invalid={invalid}
                disabled={locked}
                onChange={(v) => set('batchSize', v ?? NaN)}
              />
            )}
          </Field>
          <Field field="budget" label={<Explain term="equalCompute">Budget</Explain>}>
            {(id) => (
              <Select
                id={id}
                value={config.budget}
                options={FIELD_OPTIONS.budget}
                onChange={(v) => set('budget', v)}
                disabled={locked}
              />
            )}
          </Field>
          <Field field="backend" label="Backend">
            {(id) => (
              <Select
                id={id}
                value={config.backend}
                options={FIELD_OPTIONS.backend}
                onChange={(v) => set('backend', v)}
                disabled={locked}
              />
            )}
          </Field>
        </div>
        <RunsEditor locked={locked} />
        <details className="setup-more">
          <summary>More settings</summary>
          <div className="setup-grid">
            <Field field="learningRate" label="Learning rate">
              {(id, invalid) => (
                <NumberInput
                  id={id}
                  value={config.learningRate}
                  step="any"
                  {...rangeOf('learningRate')}
                  invalid={invalid}
                  disabled={locked}
                  onChange={(v) => set('learningRate', v ?? NaN)}
                />
              )}
            </Field>
            <Field field="momentum" label="Momentum">
              {(id, invalid) => (
                <NumberInput
                  id={id}
                  value={config.momentum}
                  step="any"
                  {...rangeOf('momentum')}
                  invalid={invalid}
                  disabled={locked}
                  onChange={(v) => set('momentum', v ?? NaN)}
                />
              )}
            </Field>
            <Field field="weightDecay" label="Weight decay" hint="empty: the model's default">
              {(id, invalid) => (
                <NumberInput
                  id={id}
                  value={config.weightDecay}
                  step="any"
                  nullable
                  {...rangeOf('weightDecay')}
                  invalid={invalid}
                  disabled={locked}
                  onChange={(v) => set('weightDecay', v)}
                />
              )}
            </Field>
            <Field field="reportEvery" label="Report every (steps)">
              {(id, invalid) => (
                <NumberInput
                  id={id}
                  value={config.reportEvery}
                  step={1}
                  {...rangeOf('reportEvery')}
                  invalid={invalid}
                  disabled={locked}
                  onChange={(v) => set('reportEvery', v ?? NaN)}
                />
              )}
            </Field>
            <Field field="trainLimit" label="Training images" hint="empty: all">
              {(id, invalid) => (
                <NumberInput
                  id={id}
                  value={config.trainLimit}
                  step={1}
                  nullable
                  {...rangeOf('trainLimit')}
                  invalid={invalid}
                  disabled={locked}
                  onChange={(v) => set('trainLimit', v)}
                />
              )}
            </Field>
            <Field field="testLimit" label="Test images" hint="empty: all">
              {(id, invalid) => (
                <NumberInput
                  id={id}
                  value={config.testLimit}
                  step={1}
                  nullable
                  {...rangeOf('testLimit')}
                  invalid={invalid}
                  disabled={locked}
                  onChange={(v) => set('testLimit', v)}
                />
              )}
            </Field>
          </div>
        </details>
      </fieldset>
    </section>
  );
}
