// The page's entry: start the engine worker, wire it to the store, render (App reads the dataset list).
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { registerServiceWorker } from './pwa/serviceWorker';
import { backendChoiceFromUrl, getBrowserRunner, startBrowserRunner } from './runner/browserRunner';
import { measureBackends, measureLayout } from './runner/measureBackends';
import { useStore } from './store';
import { connectRunner, sessionTrace } from './store/runnerLink';
import { isRunLive } from './store/update';
import './views/theme.css';

// A backend forced in the address starts now; "auto" is measured once the data is in (runnerLink's prepareBackend).
// The runner is a pool of engine workers that speaks as one engine (src/runner/pool.ts).
const forced = backendChoiceFromUrl(location.search);
const runner = forced === 'auto' ? getBrowserRunner() : startBrowserRunner(forced);
connectRunner(runner, (id) => useStore.getState().datasetPayload(id), measureBackends, measureLayout);
// Until the engine names its backend, an error means it did not start at all (run errors go to the studio).
runner.subscribe((event) => {
  if (event.type === 'error' && !useStore.getState().backend) useStore.getState().setBackendError(event.message);
  if (event.type === 'backend') useStore.getState().setBackendError(null);
});

// Read by the e2e tests when a wait fails, so a failure on a CI machine says what the engine session went through.
Object.assign(globalThis, { supermaskSessionTrace: sessionTrace });

registerServiceWorker({
  onUpdate: (apply) => useStore.getState().offerUpdate(apply),
  canReload: () => !isRunLive(useStore.getState()),
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
