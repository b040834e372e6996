// A throwaway Web Worker that starts one backend and times a few comparison steps on it (src/protocol/probe.ts).
// The page terminates it when its time is up: a backend too slow for one step is abandoned mid-step.
import type { ProbeEvent, ProbeRequest, ProbeStop } from '../protocol/probe';
import { abandonDevice, selectBackend, softwareEmulation } from './backend';
import { timeSteps } from './probe';

function post(event: ProbeEvent): void {
  (self as unknown as Worker).postMessage(event);
}

self.addEventListener('message', (e: MessageEvent<ProbeRequest | ProbeStop>) => {
  if ('type' in e.data) {
    // Handled at once: a step still pending is awaiting its GPU work, and this thread is free to drop it.
    abandonDevice();
    post({ type: 'stopped' });
    return;
  }
  const { backend, config, dataset, steps, timeSoftware, share, threads } = e.data;
  void (async () => {
    try {
      const info = await selectBackend(backend, `${backend}: measured`, threads);
      // selectBackend falls back to another backend when the one asked for cannot start: that is no measurement.
      if (info.name !== backend) {
        post({ type: 'failed', message: info.reason });
        return;
      }
      const software = await softwareEmulation(backend);
      post({ type: 'started', backend: info, software });
      if (software && !timeSoftware) {
        post({ type: 'untimed' });
        return;
      }
      await timeSteps(config, dataset, steps, (seconds) => post({ type: 'step', seconds }), share);
    } catch (err) {
      post({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
    }
  })();
});
