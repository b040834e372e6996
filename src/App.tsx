import { useEffect } from 'react';
import { useStore } from './store';
import { BackendBadge } from './views/dataset/BackendBadge';
import { DatasetPanel } from './views/dataset/DatasetPanel';
import { PanelBoundary } from './views/PanelBoundary';
import { Studio } from './views/studio/Studio';
import { UpdateBanner } from './views/UpdateBanner';

export function App() {
  const initDatasets = useStore((s) => s.initDatasets);
  // Here rather than in main.tsx: children's effects run first, so the studio has applied a shared link's config
  // (which may name the dataset) before the dataset list is read.
  useEffect(() => void initDatasets(), [initDatasets]);

  return (
    <div className="app">
      {/* The first stop of the Tab key: Start is then two more presses away (Enter here, Enter or Space there). */}
      <a
        className="skip-link"
        href="#start"
        onClick={(e) => {
          e.preventDefault();
          document.querySelector<HTMLButtonElement>('[data-testid=start]')?.focus();
        }}
      >
        Skip to Start
      </a>
      <header className="app-header">
        <h1>Supermask Studio</h1>
        <p className="app-tagline">Edge-popup and iterative edge-popup, side by side, from the same random weights.</p>
        <BackendBadge />
        <UpdateBanner />
      </header>
      <main>
        <PanelBoundary name="The dataset panel">
          <DatasetPanel />
        </PanelBoundary>
        <Studio />
      </main>
    </div>
  );
}
