// Start, Pause, Step, Reset, the speed, and where every run is: progress, epoch, cycle, images/s, time left.
import { useEffect, useRef, type RefObject } from 'react';
import { useStore } from '../../store';
import { loseDevice, pause, reset, setSpeed, start, step, switchToWasm } from '../../store/runnerLink';
import { debugFromUrl } from '../../runner/browserRunner';
import { secondsLeft } from '../../store/series';
import { useRunLooks } from './colors';
import { stateWords } from '../../remote/workerClient';

const SPEEDS = [
  { delayMs: 0, label: 'full speed' },
  { delayMs: 250, label: 'slow' },
  { delayMs: 1000, label: 'very slow' },
];

function duration(seconds: number | null): string {
  if (seconds === null) return '–';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** The buttons in the order focus falls back on when the one that had it is disabled by its own press. */
const FOCUS_ORDER = ['pause', 'start', 'step', 'reset'];

/**
 * A button that its own press disables (Start once the run trains, Pause once it is paused) would drop the focus to
 * the page, and a keyboard user back to the top: the focus moves to the control that now acts instead.
 */
function useFocusKept(ref: RefObject<HTMLDivElement | null>, key: string): void {
  const last = useRef<HTMLButtonElement | null>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const track = (e: FocusEvent) => {
      if (e.target instanceof HTMLButtonElement) last.current = e.target;
    };
    el.addEventListener('focusin', track);
    return () => el.removeEventListener('focusin', track);
  }, [ref]);
  useEffect(() => {
    // Chromium may leave a just-disabled button focused until its next frame: that counts as lost too.
    const here = document.activeElement;
    const lost = here === null || here === document.body || here === last.current;
    if (!last.current?.disabled || !lost) return;
    const next = FOCUS_ORDER.map((id) => ref.current?.querySelector<HTMLButtonElement>(`[data-testid=${id}]`)).find(
      (b) => b && !b.disabled,
    );
    next?.focus();
  }, [ref, key]);
}

export function Controls() {
  const mode = useStore((s) => s.mode);
  const state = useStore((s) => s.runnerState);
  const configError = useStore((s) => s.configError);
  const delayMs = useStore((s) => s.delayMs);
  const steps = useStore((s) => s.runnerSteps);
  const totals = useStore((s) => s.comparison?.totalSteps ?? null);
  const series = useStore((s) => s.series);
  const runningSeconds = useStore((s) => s.runningSeconds);
  const backend = useStore((s) => s.backend);
  // The engine needs the data: Start waits for the dataset list and any load in progress.
  const dataBusy = useStore((s) => s.datasets.length === 0 || s.datasetLoading !== null);
  const batch = useStore((s) => s.comparison?.config.batchSize ?? s.config.batchSize);
  // A worker's run on screen: what the worker says of it (training, paused, done…), not "recorded run".
  const remoteState = useStore((s) =>
    s.comparison?.source === 'remote' ? s.workerRuns.find((r) => r.id === s.comparison?.id)?.state : undefined,
  );

  const stalled = useStore((s) => s.stalled);
  const buttons = useRef<HTMLDivElement>(null);
  useFocusKept(buttons, `${mode}/${state}`);

  // Why Start and Step are off, said on hover (the field's own error says it at the field).
  const blocked = dataBusy
    ? 'Loading the dataset…'
    : configError
      ? `${configError.field}: ${configError.message}`
      : undefined;
  const live = mode === 'live';
  const running = live && state === 'running';
  const creating = live && state === 'idle';
  const elapsed = runningSeconds;
  // The engine says its step counts when its state changes; while running, the reports carry them.
  const looks = useRunLooks();
  const stepOf = (run: string) => Math.max(live ? (steps[run] ?? 0) : 0, series[run]?.reports.at(-1)?.step ?? 0);
  const done = looks.reduce((a, r) => a + stepOf(r.id), 0);
  const total = totals ? looks.reduce((a, r) => a + (totals[r.id] ?? 0), 0) : 0;
  const left = live ? secondsLeft(done, total, elapsed) : null;
  // ?debug=1 only: a real device loss, to demonstrate (and test end to end) that a run survives one.
  const canLoseDevice =
    debugFromUrl(window.location.search) &&
    backend?.name === 'webgpu' &&
    live &&
    ['ready', 'running', 'paused'].includes(state);

  return (
    <section className="controls panel" aria-label="controls">
      <div className="control-buttons" ref={buttons}>
        <button
          type="button"
          className="primary"
          id="start"
          data-testid="start"
          disabled={running || configError !== null || dataBusy}
          title={blocked}
          onClick={() => void start()}
        >
          {live && (state === 'paused' || state === 'ready') ? 'Resume' : 'Start'}
        </button>
        <button type="button" data-testid="pause" disabled={!running} onClick={pause}>
          Pause
        </button>
        <button
          type="button"
          data-testid="step"
          disabled={running || creating || configError !== null || dataBusy}
          title={blocked}
          onClick={() => void step()}
        >
          Step
        </button>
        <button type="button" data-testid="reset" disabled={mode === 'empty'} onClick={reset}>
          Reset
        </button>
        <label className="speed">
          speed{' '}
          <select value={delayMs} onChange={(e) => setSpeed(Number(e.target.value))} data-testid="speed">
            {SPEEDS.map((s) => (
              <option key={s.delayMs} value={s.delayMs}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        <span
          className="run-state"
          data-testid="runner-state"
          data-state={live ? state : mode}
          data-engine-steps={live ? looks.map((r) => steps[r.id] ?? 0).join(' ') : undefined}
        >
          {live
            ? state
            : remoteState
              ? `worker: ${stateWords(remoteState)}`
              : mode === 'recorded'
                ? 'recorded run'
                : 'no run yet'}
        </span>
        {canLoseDevice && (
          <button type="button" data-testid="lose-device" onClick={loseDevice} title="Destroys the WebGPU device">
            Lose the WebGPU device
          </button>
        )}
        {backend && (
          <span className="backend-badge" data-testid="studio-backend" title={backend.reason}>
            {backend.name}
            {backend.adapter ? ` · ${backend.adapter}` : ''}
          </span>
        )}
      </div>
      {stalled && (
        <p className="notice" role="status" data-testid="stalled">
          {stalled}{' '}
          <button type="button" data-testid="switch-to-wasm" onClick={() => void switchToWasm()}>
            Go on with wasm
          </button>
        </p>
      )}
      <div className="progress-rows">
        {looks.map(({ id: run, label, textColor }) => {
          const last = series[run]?.reports.at(-1);
          const n = stepOf(run);
          const t = totals?.[run] ?? 0;
          return (
            <div className="progress-row" key={run}>
              <span className="progress-label" style={{ color: textColor }}>
                {label}
              </span>
              <progress max={Math.max(t, 1)} value={Math.min(n, t)} aria-label={`${label} progress`} />
              <span className="progress-text" data-testid={`${run}-progress`} data-step={n}>
                step {n} / {t || '–'} · epoch {last ? last.epoch.toFixed(2) : '–'} · cycle{' '}
                {last ? `${last.cycle}/${last.cycles}` : '–'}
              </span>
              <span className="progress-rate">{last ? Math.round(last.imagesPerSecond) : '–'} img/s</span>
            </div>
          );
        })}
        <div className="progress-row progress-total">
          <span className="progress-label">time left</span>
          <span data-testid="time-left">{live ? duration(left) : '–'}</span>
          <span className="muted progress-both">
            {live && elapsed > 0
              ? `${((done * batch) / elapsed).toFixed(1)} img/s over ${looks.length} run${looks.length === 1 ? '' : 's'}`
              : ''}
          </span>
        </div>
      </div>
    </section>
  );
}
