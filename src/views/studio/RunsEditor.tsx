// The runs of the next comparison: add, remove, reorder and duplicate them, name them, pick a method, start from a
// preset study, and edit the selected run's own settings (an iEP run's schedule in the schedule editor). Every
// field path is the protocol's (`runs[2].iep.cycles`), so a problem is said where it is edited.
import { useState } from 'react';
import { useStore } from '../../store';
import {
  FIELD_LIMITS,
  FIELD_OPTIONS,
  MAX_RUNS,
  METHOD_LABEL,
  defaultRun,
  freeRunId,
  type ComparisonConfig,
  type IepConfig,
  type LimitedField,
  type RunConfig,
  type RunMethod,
} from '../../protocol/config';
import { PALETTE } from './colors';
import { Explain } from './Explain';
import { Field, NumberInput, Select, useFieldError } from './fields';
import { ScheduleEditor } from './ScheduleEditor';
import { RUN_PRESETS } from './runPresets';

function rangeOf(field: LimitedField): { min: number; max: number } {
  return { min: FIELD_LIMITS[field].min, max: FIELD_LIMITS[field].max };
}

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
            style={{ borderLeftColor: PALETTE[i % PALETTE.length] }}
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
              <input
                type="text"
                aria-label={`run ${i + 1} label`}
                value={r.label}
                maxLength={40}
                disabled={locked}
                data-field={`runs[${i}].label`}
                onChange={(e) => update(i, { ...r, label: e.target.value })}
              />
              <Select
                id={`run-method-${i}`}
                value={r.method}
                options={FIELD_OPTIONS.method}
                onChange={(m) => update(i, withMethod(r, m))}
                disabled={locked}
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
                aria-label="duplicate"
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
      <p className="muted" data-testid="run-settings">
        <Explain term="ep">{run.label}</Explain> searches at the target pruning rate from the first step to the last.
      </p>
    );
  }
  if (run.method === 'dense') {
    return (
      <div className="setup-grid" data-testid="run-settings">
        <Field field={`${at}.dense.learningRate`} label="Dense learning rate" hint="empty: the shared one">
          {(id, invalid) => (
            <NumberInput
              id={id}
              value={run.dense.learningRate}
              step="any"
              nullable
              {...rangeOf('dense.learningRate')}
              invalid={invalid}
              disabled={locked}
              onChange={(v) => onChange({ ...run, dense: { learningRate: v } })}
            />
          )}
        </Field>
      </div>
    );
  }
  if (run.method === 'iterand') {
    const set = (key: 'kPer' | 'lambda', v: number | null) =>
      onChange({ ...run, iterand: { ...run.iterand, [key]: v ?? NaN } });
    return (
      <div className="setup-grid" data-testid="run-settings">
        <Field field={`${at}.iterand.kPer`} label={<Explain term="iterand">Re-draw every K_per steps</Explain>}>
          {(id, invalid) => (
            <NumberInput
              id={id}
              value={run.iterand.kPer}
              step={1}
              {...rangeOf('iterand.kPer')}
              invalid={invalid}
              disabled={locked}
              onChange={(v) => set('kPer', v)}
            />
          )}
        </Field>
        <Field field={`${at}.iterand.lambda`} label="Fraction λ of pruned weights">
          {(id, invalid) => (
            <NumberInput
              id={id}
              value={run.iterand.lambda}
              step="any"
              {...rangeOf('iterand.lambda')}
              invalid={invalid}
              disabled={locked}
              onChange={(v) => set('lambda', v)}
            />
          )}
        </Field>
      </div>
    );
  }
  const setIep = <K extends keyof IepConfig>(key: K, value: IepConfig[K]) =>
    onChange({ ...run, iep: { ...run.iep, [key]: value } });
  return (
    <div data-testid="run-settings">
      <div className="setup-grid">
        <Field field={`${at}.iep.cycles`} label={<Explain term="cycle">iEP cycles</Explain>}>
          {(id, invalid) => (
            <NumberInput
              id={id}
              value={run.iep.cycles}
              step={1}
              {...rangeOf('iep.cycles')}
              invalid={invalid}
              disabled={locked || run.iep.schedule === 'custom'}
              onChange={(v) => setIep('cycles', v ?? NaN)}
            />
          )}
        </Field>
        <Field field={`${at}.iep.variant`} label="iEP variant">
          {(id) => (
            <Select
              id={id}
              value={run.iep.variant}
              options={FIELD_OPTIONS['iep.variant']}
              onChange={(v) => setIep('variant', v)}
              disabled={locked}
            />
          )}
        </Field>
        <Field field={`${at}.iep.scores`} label="Scores at each cycle">
          {(id) => (
            <Select
              id={id}
              value={run.iep.scores}
              options={FIELD_OPTIONS['iep.scores']}
              onChange={(v) => setIep('scores', v)}
              disabled={locked}
            />
          )}
        </Field>
        <Field field={`${at}.iep.lrRewind`} label="Rewind learning rate">
          {(id) => (
            <input
              id={id}
              type="checkbox"
              checked={run.iep.lrRewind}
              disabled={locked}
              onChange={(e) => setIep('lrRewind', e.target.checked)}
            />
          )}
        </Field>
      </div>
      <ScheduleEditor disabled={locked} index={index} />
    </div>
  );
}
