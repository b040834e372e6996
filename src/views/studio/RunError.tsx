// A run that failed says so; where the engine kept a snapshot (a lost WebGPU device, say), the run can go on from
// there on another backend.
import { useState } from 'react';
import { useStore } from '../../store';
import type { BackendChoice } from '../../protocol/config';
import { recover } from '../../store/runnerLink';

const CHOICES: BackendChoice[] = ['webgl', 'wasm', 'cpu', 'webgpu', 'auto'];

export function RunError() {
  const error = useStore((s) => s.comparison?.error ?? null);
  const recoverable = useStore((s) => s.mode === 'live' && s.comparison?.recoverable === true);
  const [backend, setBackend] = useState<BackendChoice>('webgl');
  if (!error) return null;
  return (
    <div className="run-error" role="alert" data-testid="run-error">
      <p>The run stopped with an error: {error}</p>
      {recoverable && (
        <p>
          Go on from the last report on{' '}
          <select value={backend} onChange={(e) => setBackend(e.target.value as BackendChoice)} aria-label="backend">
            {CHOICES.map((b) => (
              <option key={b} value={b}>
                {b}
              </option>
            ))}
          </select>{' '}
          <button type="button" onClick={() => recover(backend)}>
            Continue
          </button>
        </p>
      )}
    </div>
  );
}
