// The setup of the next comparison: what its runs share (network, seed, data, budget), then the runs themselves,
// each with its method's settings. Every field is checked by the protocol's validateConfig and a problem is said at
// the field; labels, ranges, steps and choices come from the protocol's field table (TableField). The whole config
// also lives in the URL (see store/url.ts), so a link restores it.
import { useStore } from '../../store';
import {
  isWorkerOnly,
  withinLimit,
  withModel,
  WORKER_DATASET,
  type ComparisonConfig,
  type ConfigModel,
} from '../../protocol/config';
import { memoryEstimate } from '../../protocol/memory';
import { Field, Select } from './fields';
import { RunsEditor } from './RunsEditor';
import { TableField } from './TableField';

const DATASETS = [
  { value: 'cifar10-subset', label: 'CIFAR-10 subset (bundled)' },
  { value: 'cifar10', label: 'CIFAR-10 (full)' },
];

/** The shared settings under "More settings", in the order shown. */
const MORE = ['learningRate', 'momentum', 'weightDecay', 'reportEvery', 'trainLimit', 'testLimit'] as const;

function keptPercent(p: number): string {
  return Number.isFinite(p) ? `kept ${((1 - p) * 100).toFixed(1)}%` : 'kept –';
}

export function SetupPanel({ locked }: { locked: boolean }) {
  const config = useStore((s) => s.config);
  const setConfig = useStore((s) => s.setConfig);
  const selectDataset = useStore((s) => s.selectDataset);
  const set = <K extends keyof ComparisonConfig>(key: K, value: ComparisonConfig[K]) =>
    setConfig({ ...config, [key]: value });
  // The table's fields hand back plain values; validateConfig judges them (a cleared number is NaN or null).
  const field = (key: keyof ComparisonConfig) => (value: unknown) => setConfig({ ...config, [key]: value });
  const known = useStore((s) => s.datasets);
  const pageDataset = useStore((s) => s.dataset?.id ?? DATASETS[0].value);
  // A worker-only net trains on an ImageFolder tree on the worker (DATA/<id>/{train,val}), not on a dataset this
  // page loads: the choice is the worker's folder, and picking it loads nothing here.
  const workerOnly = isWorkerOnly(config.model);
  const listed = workerOnly
    ? [{ value: WORKER_DATASET, label: `ImageNet (on the worker: DATA/${WORKER_DATASET})` }]
    : known.length
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
                  if (!workerOnly) void selectDataset(v);
                }}
                disabled={locked}
              />
            )}
          </Field>
          <TableField
            path="model"
            value={config.model}
            onChange={(v) => setConfig(withModel(config, v as ConfigModel, pageDataset))}
            disabled={locked}
          />
          {(['width', 'seed'] as const).map((path) => (
            <TableField key={path} path={path} value={config[path]} onChange={field(path)} disabled={locked} />
          ))}
          <TableField
            path="targetPruningRate"
            value={config.targetPruningRate}
            onChange={field('targetPruningRate')}
            disabled={locked}
            hint={<span data-testid="kept-percent">{keptPercent(config.targetPruningRate)}</span>}
          />
          <TableField path="epochs" value={config.epochs} onChange={field('epochs')} disabled={locked} />
          <TableField
            path="batchSize"
            value={config.batchSize}
            onChange={field('batchSize')}
            disabled={locked}
            hint={
              withinLimit('width', config.width) && !isWorkerOnly(config.model)
                ? `≤ ${memoryEstimate(config.model, config.width).maxBatch}`
                : undefined
            }
          />
          {(['budget', 'backend'] as const).map((path) => (
            <TableField key={path} path={path} value={config[path]} onChange={field(path)} disabled={locked} />
          ))}
        </div>
        <RunsEditor locked={locked} />
        <details className="setup-more">
          <summary>More settings</summary>
          <div className="setup-grid">
            {MORE.map((path) => (
              <TableField key={path} path={path} value={config[path]} onChange={field(path)} disabled={locked} />
            ))}
          </div>
        </details>
      </fieldset>
    </section>
  );
}
