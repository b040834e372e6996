// The dataset: which one, how many images per split and per class, a picker, a drop zone, and sample images.
import { useState } from 'react';
import { useStore } from '../../store';
import { DropZone } from './DropZone';
import { SampleGrid } from './SampleGrid';

const fmt = (n: number) => n.toLocaleString('en-US');

function DatasetPicker() {
  const datasets = useStore((s) => s.datasets);
  const dataset = useStore((s) => s.dataset);
  const loading = useStore((s) => s.datasetLoading);
  const selectDataset = useStore((s) => s.selectDataset);
  const dropped = dataset?.source === 'dropped' ? dataset : null;

  return (
    <label className="dataset-picker">
      <span className="visually-hidden">Dataset</span>
      <select
        data-testid="dataset-picker"
        value={dataset?.id ?? ''}
        disabled={loading !== null}
        onChange={(e) => void selectDataset(e.target.value)}
      >
        {dataset === null && <option value="">(none loaded)</option>}
        {datasets.map((d) => (
          <option key={d.id} value={d.id} disabled={!d.available}>
            {d.available ? d.name : `${d.name}: not installed (npm run data:cifar10)`}
          </option>
        ))}
        {dropped && <option value={dropped.id}>{dropped.name}</option>}
      </select>
    </label>
  );
}

/** Classes across, splits down: ten columns fit under the panel in three short rows. */
function ClassCounts({ classNames, train, test }: { classNames: string[]; train: number[]; test: number[] }) {
  return (
    <table className="class-counts" data-testid="class-counts">
      <caption className="visually-hidden">Images per class in each split</caption>
      <thead>
        <tr>
          <th scope="col">Class</th>
          {classNames.map((name, c) => (
            <th scope="col" key={name} data-testid={`class-name-${c}`}>
              {name}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        <tr data-testid="class-counts-train">
          <th scope="row">Train</th>
          {classNames.map((name, c) => (
            <td key={name}>{fmt(train[c] ?? 0)}</td>
          ))}
        </tr>
        <tr data-testid="class-counts-test">
          <th scope="row">Test</th>
          {classNames.map((name, c) => (
            <td key={name}>{fmt(test[c] ?? 0)}</td>
          ))}
        </tr>
      </tbody>
    </table>
  );
}

/**
 * Folded to one line (name, counts, picker) so the studio is on the first screen; the sample images, class counts
 * and drop zone open on demand, and open by themselves when a file is dragged over the line.
 */
export function DatasetPanel() {
  const dataset = useStore((s) => s.dataset);
  const loading = useStore((s) => s.datasetLoading);
  const error = useStore((s) => s.datasetError);
  const clearError = useStore((s) => s.clearDatasetError);
  const loadFile = useStore((s) => s.loadDatasetFile);
  const [open, setOpen] = useState(false);

  return (
    <section
      className={`panel dataset-panel${open ? ' open' : ''}`}
      aria-labelledby="dataset-heading"
      data-testid="dataset-panel"
      onDragEnter={() => setOpen(true)}
    >
      <div className="dataset-line">
        <h2 id="dataset-heading">Dataset</h2>
        <DatasetPicker />
        {dataset && (
          <p className="dataset-summary" data-testid="dataset-summary">
            <strong data-testid="dataset-name">{dataset.name}</strong>{' '}
            <span data-testid="train-count">{fmt(dataset.train.count)}</span> training ·{' '}
            <span data-testid="test-count">{fmt(dataset.test.count)}</span> test images · {dataset.classNames.length}{' '}
            classes
          </p>
        )}
        {loading && (
          <p className="dataset-loading" role="status" data-testid="dataset-loading">
            Loading {loading}…
          </p>
        )}
        <button
          type="button"
          className="link dataset-toggle"
          aria-expanded={open}
          aria-controls="dataset-body"
          data-testid="dataset-toggle"
          onClick={() => setOpen(!open)}
        >
          {open ? 'Hide' : 'Show images'}
        </button>
      </div>
      {error && (
        <div className="alert" role="alert" data-testid="dataset-error">
          <strong>Could not load the data.</strong> <span data-testid="dataset-error-message">{error}</span>
          {dataset && <> The dataset already loaded ({dataset.name}) is still in use.</>}{' '}
          <button className="link" onClick={clearError}>
            Dismiss
          </button>
        </div>
      )}
      {open && (
        <div className="dataset-body" id="dataset-body">
          <div>
            <DropZone onFile={(f) => void loadFile(f)} disabled={loading !== null} />
          </div>
          <div>{dataset && <SampleGrid split={dataset.train} classNames={dataset.classNames} />}</div>
          {dataset && (
            <div className="class-counts-wrap">
              <ClassCounts classNames={dataset.classNames} train={dataset.trainCounts} test={dataset.testCounts} />
            </div>
          )}
        </div>
      )}
    </section>
  );
}
