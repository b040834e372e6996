import { BackendBadge } from './views/dataset/BackendBadge';
import { DatasetPanel } from './views/dataset/DatasetPanel';
import { Studio } from './views/studio/Studio';

export function App() {
  return (
    <div className="app">
      <header className="app-header">
        <h1>Supermask Studio</h1>
        <p className="app-tagline">Edge-popup and iterative edge-popup, side by side, from the same random weights.</p>
        <BackendBadge />
      </header>
      <main>
        <DatasetPanel />
        <Studio />
      </main>
    </div>
  );
}
