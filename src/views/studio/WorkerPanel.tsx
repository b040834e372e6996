// "Attach a worker": paste the URL a worker's `serve` printed (it carries the token), see the link's state in words,
// open the worker's runs in the studio's columns, and start the setup's comparison on the worker. A dropped link is
// said, and re-attaches by itself.
import { useState } from 'react';
import { useStore } from '../../store';
import { stateWords, type Connection, type RunInfo } from '../../remote/workerClient';

function describe(c: Connection): string {
  switch (c.status) {
    case 'detached':
      return c.reason ? `Detached: ${c.reason}.` : 'No worker attached: runs train in this tab.';
    case 'connecting':
      return 'Attaching…';
    case 'attached':
      return `Attached to worker ${c.worker}.`;
    case 'retrying':
      return `Connection lost: ${c.reason} (attempt ${c.attempt}).`;
  }
}

function RunRow({ run }: { run: RunInfo }) {
  const open = useStore((s) => (s.remoteOpen?.id === run.id ? s.remoteOpen : null));
  const openRemote = useStore((s) => s.openRemote);
  const control = useStore((s) => s.controlRemote);
  const actions = [
    run.state === 'training' && !run.pending && ('pause' as const),
    (run.state === 'paused' || run.state === 'failed') && ('resume' as const),
    (run.state === 'training' || run.state === 'paused' || run.state === 'queued') && !run.pending && ('stop' as const),
  ].filter((a) => a !== false);
  return (
    <li data-worker-run={run.id} data-state={run.state} className={open ? 'current' : undefined}>
      <button type="button" className="link" onClick={() => void openRemote(run.id)} data-testid="worker-open">
        open
      </button>{' '}
      <span className="worker-run-id">{run.id}</span>{' '}
      <span className="muted">
        · {stateWords(run.state)}
        {run.pending ? ` (${run.pending} asked)` : ''}
        {/* The listed count is as of the last state change; the open run's own count grows with each report. */}
        {!open && run.state !== 'training' && run.state !== 'external' ? ` · ${run.reports} reports` : ''}
        {run.error ? ` · ${run.error}` : ''}
      </span>
      {open && (
        <span className="muted" data-testid="worker-received" data-received={open.received}>
          {' '}
          · on screen, {open.received} reports received
        </span>
      )}
      <span className="worker-actions">
        {actions.map((a) => (
          <button
            key={a}
            type="button"
            className="link"
            onClick={() => void control(run.id, a)}
            data-testid={`worker-${a}`}
          >
            {a}
          </button>
        ))}
      </span>
    </li>
  );
}

export function WorkerPanel() {
  const connection = useStore((s) => s.workerConnection);
  const url = useStore((s) => s.workerUrl);
  const runs = useStore((s) => s.workerRuns);
  const error = useStore((s) => s.workerError);
  const config = useStore((s) => s.config);
  const configError = useStore((s) => s.configError);
  const attach = useStore((s) => s.attach);
  const detach = useStore((s) => s.detach);
  const startRemote = useStore((s) => s.startRemote);
  const [text, setText] = useState(url ?? '');
  const linked = connection.status !== 'detached';
  const attached = connection.status === 'attached';

  return (
    <section className="worker panel" aria-label="worker" data-testid="worker-panel">
      <h2>Attach a worker</h2>
      <form
        className="worker-form"
        onSubmit={(e) => {
          e.preventDefault();
          attach(text);
        }}
      >
        <input
          type="text"
          aria-label="worker URL"
          data-testid="worker-url"
          placeholder="ws://127.0.0.1:8765/?token=…"
          value={linked ? (url ?? text) : text}
          readOnly={linked}
          onChange={(e) => setText(e.target.value)}
        />
        {linked ? (
          <button type="button" onClick={detach} data-testid="worker-detach">
            Detach
          </button>
        ) : (
          <button type="submit" disabled={text.trim() === ''} data-testid="worker-attach">
            Attach
          </button>
        )}
      </form>
      <p className="worker-state" role="status" data-testid="worker-state" data-status={connection.status}>
        {describe(connection)}
      </p>
      {error && (
        <p className="library-error" role="alert" data-testid="worker-error">
          {error}
        </p>
      )}
      {linked && (
        <>
          <button
            type="button"
            onClick={() => void startRemote(config)}
            disabled={!attached || (configError !== null && !configError.tabOnly)}
            data-testid="worker-start"
            title="Sends the setup above to the worker, which trains it and streams its reports here"
          >
            Start on the worker
          </button>
          <ul className="worker-runs" data-testid="worker-runs">
            {runs.length === 0 && <li className="muted">No runs on the worker yet.</li>}
            {runs.map((r) => (
              <RunRow key={r.id} run={r} />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
