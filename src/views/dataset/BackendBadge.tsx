// Which TF.js backend the engine runs on, and why not a faster one: training speed differs 20x between them.
import { useStore } from '../../store';

export function BackendBadge() {
  const backend = useStore((s) => s.backend);
  const error = useStore((s) => s.backendError);

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
      </div>
    );
  }
  return (
    <div className="backend">
      <span className="backend-badge" data-testid="backend-badge" title={backend.reason}>
        Backend:{' '}
        <span className="backend-name" data-testid="backend-name">
          {backend.name}
        </span>
        {backend.adapter && <span className="muted">({backend.adapter})</span>}
      </span>
      <p className="backend-reason" data-testid="backend-reason">
        {backend.reason}
      </p>
    </div>
  );
}
