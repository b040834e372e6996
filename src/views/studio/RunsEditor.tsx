// The runs of the next comparison: add, remove, reorder and duplicate them, name them, pick a method, start from a
// preset study, and edit the selected run's own settings (an iEP run's schedule in the schedule editor). Every
// field path is the protocol's (`runs[2].iep.cycles`), so a problem is said where it is edited.
import { useState } from 'react';
import { useStore } from '../../store';
import {
  FIELD_OPTIONS,
  MAX_RUNS,
  METHOD_LABEL,
  defaultRun,
  freeRunId,
  type ComparisonConfig,
  type IepConfig,
  type RunConfig,
  type RunMethod,
} from '../../protocol/config';
import { runColor } from './palette';
import { Explain } from './Explain';
import { Select, useFieldError } from './fields';
import { TableField } from './TableField';
import { ScheduleEditor } from './ScheduleEditor';
import { RUN_PRESETS } from './runPresets';

/** A run turned into another method: the same id, and the same label unless it was the old method's name. */
function withMethod(run: RunConfig, method: RunMethod): RunConfig {
  const fresh = defaultRun(method, run.id);
  return run.label === METHOD_LABEL[run.method] ? fresh : { ...fresh, label: run.label };
}

export function RunsEditor({ locked }: { locked: boolean }) {
  const config = useStore((s) => s.config);
  const setConfig = useStore((s) => s.setConfig);
  const [selected, setSelected] = useState(0);
  const runs = config.runs;
  const index = Math.min(selected, runs.length - 1);
  const run = runs[index];
  const setRuns = (next: RunConfig[], select = index) => {
    setConfig({ ...config, runs: next });
    setSelected(Math.max(0, Math.min(select, next.length - 1)));
  };
  const update = (i: number, next: RunConfig) => setRuns(runs.map((r, k) => (k === i ? next : r)));
  const move = (i: number, by: number) => {
    const j = i + by;
    if (j < 0 || j >= runs.length) return;
    const next = [...runs];
    [next[i], next[j]] = [next[j], next[i]];
    setRuns(next, j);
  };
  const duplicate = (i: number) => {
    if (runs.length >= MAX_RUNS) return;
    const copy = { ...structuredClone(runs[i]), id: freeRunId(runs, runs[i].method) };
    copy.label = `${runs[i].label} 2`.slice(0, 40);
    setRuns([...runs.slice(0, i + 1), copy, ...runs.slice(i + 1)], i + 1);
  };
  const add = (method: RunMethod) => {
    if (runs.length >= MAX_RUNS) return;
    setRuns([...runs, defaultRun(method, freeRunId(runs, method))], runs.length);
  };
  const remove = (i: number) => {
    if (runs.length <= 1) return;
    setRuns(
      runs.filter((_, k) => k !== i),
      i - 1,
    );
  };
  const applyPreset = (make: (c: ComparisonConfig) => RunConfig[]) => setRuns(make(config), 0);

  return (
    <div className="setup-runs-panel" data-testid="runs-editor">
      <div className="schedule-head">
        <span className="panel-label">
          Runs ({runs.length} of at most {MAX_RUNS})
        </span>
        <div className="setup-presets" role="group" aria-label="run presets">
          {RUN_PRESETS.map((p) => (
            <button
              key={p.id}
              type="button"
              disabled={locked}
              title={p.title}
              data-testid={`preset-${p.id}`}
              onClick={() => applyPreset(p.runs)}
            >
              {p.label}
            </button>
          ))}
        </div>
      </div>
      <ol className="setup-runs" data-testid="setup-run-list">
        {runs.map((r, i) => (
          <li
            key={`${r.id}-${i}`}
            className={i === index ? 'selected' : undefined}
            style={{ borderLeftColor: runColor(i).line }}
            data-run={r.id}
          >
            <div className="run-row-main">
              <input
                type="radio"
                name="selected-run"
                aria-label={`edit ${r.label}`}
                checked={i === index}
                onChange={() => setSelected(i)}
              />
              <span className="run-label" data-field={`runs[${i}].label`}>
                <input
                  type="text"
                  aria-label={`run ${i + 1} label`}
                  value={r.label}
                  maxLength={40}
                  disabled={locked}
                  onChange={(e) => update(i, { ...r, label: e.target.value })}
                />
              </span>
              <Select
                id={`run-method-${i}`}
                value={r.method}
                options={FIELD_OPTIONS.method}
                onChange={(m) => update(i, withMethod(r, m))}
                disabled={locked}
                ariaLabel={`run ${i + 1} method`}
              />
            </div>
            <div className="run-row-tools">
              <button type="button" disabled={locked || i === 0} onClick={() => move(i, -1)} aria-label="move up">
                ↑
              </button>
              <button
                type="button"
                disabled={locked || i === runs.length - 1}
                onClick={() => move(i, 1)}
                aria-label="move down"
              >
                ↓
              </button>
              <button
                type="button"
                disabled={locked || runs.length >= MAX_RUNS}
                onClick={() => duplicate(i)}
                aria-label={`copy run ${i + 1}`}
              >
                copy
              </button>
              <button type="button" disabled={locked || runs.length <= 1} onClick={() => remove(i)} aria-label="remove">
                ✕
              </button>
            </div>
            <RunRowError index={i} />
          </li>
        ))}
      </ol>
      <div className="setup-presets" role="group" aria-label="add a run">
        {FIELD_OPTIONS.method.map((o) => (
          <button
            key={o.value}
            type="button"
            disabled={locked || runs.length >= MAX_RUNS}
            data-testid={`add-${o.value}`}
            onClick={() => add(o.value)}
          >
            + {o.label}
          </button>
        ))}
      </div>
      <RunSettings run={run} index={index} locked={locked} onChange={(next) => update(index, next)} />
    </div>
  );
}

/** A problem with a run's id or label, said under its row. */
function RunRowError({ index }: { index: number }) {
  const label = useFieldError(`runs[${index}].label`);
  const id = useFieldError(`runs[${index}].id`);
  const error = label ?? id;
  return error ? (
    <p className="field-error" role="alert">
      {error}
    </p>
  ) : null;
}

/** The selected run's own settings: nothing for EP (it searches at the shared target rate). */
function RunSettings({
  run,
  index,
  locked,
  onChange,
}: {
  run: RunConfig;
  index: number;
  locked: boolean;
  onChange: (run: RunConfig) => void;
}) {
  const at = `runs[${index}]`;
  if (run.method === 'ep') {
    return (
      <div className="muted run-settings-note" data-testid="run-settings">
        <Explain term="ep">{run.label}</Explain> searches at the target pruning rate from the first step to the last.
      </div>
    );
  }
  if (run.method === 'dense') {
    return (
      <div className="setup-grid" data-testid="run-settings">
        <TableField
          path="dense.learningRate"
          at={at}
          value={run.dense.learningRate}
          disabled={locked}
          onChange={(v) => onChange({ ...run, dense: { learningRate: v as number | null } })}
        />
      </div>
    );
  }
  if (run.method === 'iterand') {
    return (
      <div className="setup-grid" data-testid="run-settings">
        {(['kPer', 'lambda'] as const).map((key) => (
          <TableField
            key={key}
            path={`iterand.${key}`}
            at={at}
            value={run.iterand[key]}
            disabled={locked}
            onChange={(v) => onChange({ ...run, iterand: { ...run.iterand, [key]: v } })}
          />
        ))}
      </div>
    );
  }
  const setIep = (key: keyof IepConfig) => (value: unknown) => onChange({ ...run, iep: { ...run.iep, [key]: value } });
  return (
    <div data-testid="run-settings">
      <div className="setup-grid">
        <TableField
          path="iep.cycles"
          at={at}
          value={run.iep.cycles}
          disabled={locked || run.iep.schedule === 'custom'}
          onChange={setIep('cycles')}
        />
        {(['variant', 'scores', 'lrRewind'] as const).map((key) => (
          <TableField
            key={key}
            path={`iep.${key}`}
            at={at}
            value={run.iep[key]}
            disabled={locked}
            onChange={setIep(key)}
          />
        ))}
      </div>
      <ScheduleEditor disabled={locked} index={index} />
    </div>
  );
}
