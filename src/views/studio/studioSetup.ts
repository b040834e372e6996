// What the studio starts on mount: config from the link, recording, replay and the URL sync. (main.tsx connects
// the engine with connectRunner.)
// Each returns its own cleanup so React's effects (and StrictMode's double mount) stay balanced.
import { useStore } from '../../store';
import { recoverInterrupted, refreshLibrary } from '../../store/library';
import { onRunsChanged } from '../../store/runOwnership';
import { startRecorder } from '../../store/recorder';
import { startReplayDriver } from '../../store/replay';
import { configFromHash, configToHash, workerFromAddress } from '../../store/url';
import { backendChoiceFromUrl } from '../../runner/browserRunner';

function applyHash(): void {
  const result = configFromHash(window.location.hash);
  const s = useStore.getState();
  if (result && 'config' in result) s.setConfig(result.config);
  else if (result) s.addNotice(result.error);
}

function syncUrl(): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const unsubscribe = useStore.subscribe((s, prev) => {
    if (s.config === prev.config) return;
    if (timer) clearTimeout(timer);
    // Debounced: a dragged schedule point changes the config on every pointer move.
    timer = setTimeout(() => {
      const hash = configToHash(useStore.getState().config);
      if (window.location.hash !== hash) history.replaceState(null, '', hash);
    }, 250);
  });
  const onHashChange = () => applyHash();
  window.addEventListener('hashchange', onHashChange);
  return () => {
    unsubscribe();
    if (timer) clearTimeout(timer);
    window.removeEventListener('hashchange', onHashChange);
  };
}

export function startStudio(): () => void {
  // Read before the address is rewritten with the config below.
  const worker = workerFromAddress(window.location.search, window.location.hash);
  // `?backend=webgl` (helper for tests and slow machines) applies when the link has no config of its own.
  const forced = backendChoiceFromUrl(window.location.search);
  if (forced !== 'auto' && !configFromHash(window.location.hash)) {
    const s = useStore.getState();
    s.setConfig({ ...s.config, backend: forced });
  }
  applyHash();
  // A page opened without a config in its link gets one, so the address is shareable from the start.
  if (!configFromHash(window.location.hash)) {
    history.replaceState(null, '', configToHash(useStore.getState().config));
  }
  const cleanups = [startRecorder(), startReplayDriver(), syncUrl(), onRunsChanged(() => void refreshLibrary())];
  void recoverInterrupted();
  // A link that attaches the studio to a worker as it opens: the token is then taken out of the address, so that it
  // stays in no bookmark or shared link.
  if (worker) {
    useStore.getState().attach(worker);
    const address = new URL(window.location.href);
    address.searchParams.delete('worker');
    address.hash = configToHash(useStore.getState().config);
    history.replaceState(null, '', address);
  }
  return () => cleanups.forEach((c) => c());
}
