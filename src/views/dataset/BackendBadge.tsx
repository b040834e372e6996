// Which TF.js backend the engine runs on, and why not a faster one: training speed differs 20x between them.
import { useStore } from '../../store';
import { measureAgain } from '../../store/runnerLink';

/** The page's "auto" measures the backends (progress shown here) and remembers the fastest until asked again. */
function Measuring({ text }: { text: string }) {
  return (
    <p className="backend-reason" data-testid="backend-measuring" aria-live="polite">
      {text}
    </p>
  );
}

export function BackendBadge() {
  const backend = useStore((s) => s.backend);
  const error = useStore((s) => s.backendError);
  const measuring = useStore((s) => s.backendMeasuring);
  // Timing the backends beside a training run would time the run too.
  const busy = useStore((s) => s.mode === 'live' && ['idle', 'running'].includes(s.runnerState));
  // A recorded or remote run on screen names what trained it (a worker's torch, another machine's WebGPU), which is
  // not this page's engine.
  const source = useStore((s) => (s.mode === 'recorded' ? (s.comparison?.source ?? 'browser') : null));

  if (error && !backend) {
    return (
      <div className="backend alert" role="alert" data-testid="backend-error">
        <strong>The engine did not start.</strong> {error}
      </div>
    );
  }
  if (!backend) {
    return (
      <div className="backend">
        <span className="backend-badge muted" data-testid="backend-badge" aria-busy="true">
          Backend: starting…
        </span>
        {measuring && <Measuring text={measuring} />}
      </div>
    );
  }
  return (
    <div className="backend">
      <span className="backend-badge" data-testid="backend-badge" title={backend.reason}>
        {source === null ? 'Backend:' : source === 'remote' ? 'Trained on the worker:' : 'Recorded on:'}{' '}
        <span className="backend-name" data-testid="backend-name">
          {backend.name}
        </span>
        {backend.adapter && <span className="muted">({backend.adapter})</span>}
      </span>
      <p className="backend-reason" data-testid="backend-reason" title={backend.reason}>
        {backend.reason}
      </p>
      {measuring ? (
        <Measuring text={measuring} />
      ) : (
        <button type="button" data-testid="measure-again" disabled={busy} onClick={() => void measureAgain()}>
          Measure again
        </button>
      )}
    </div>
  );
}
