// Recorded runs: every run is stored as it trains; open one to replay it, export it (JSON, CSV, pictures), or
// import a run file. A rejected import says why and leaves the stored runs as they were.
import { useRef } from 'react';
import { useStore } from '../../store';
import { deleteStored, exportCsv, exportJson, importFile, openStored, toggleOverlay } from '../../store/library';
import { reportAt, seriesOf } from '../../store/series';
import { fileStem } from '../../store/runFiles';
import { shownStep, toRecord } from '../../store/studio';
import { runLooks } from './colors';
import { chartsPng, chartsSvg, heatmapsPng, heatmapsSvg } from './exportImages';

/** The run on screen, named for files, with the reports at the timeline cursor (what the heatmap pictures show). */
function snapshot() {
  const s = useStore.getState();
  const record = toRecord(s);
  if (!record) return null;
  const looks = runLooks(record.config.runs);
  // A dense run has no heatmaps to picture.
  const runs = looks
    .filter((l) => l.masked)
    .map((look) => ({ look, report: reportAt(seriesOf(s.series, look.id), shownStep(s)) }));
  return { name: fileStem(record), looks, heatmaps: { summary: record.summary, runs } };
}

function exportActions(chartsRoot: () => Element | null) {
  const withSnapshot = (f: (s: NonNullable<ReturnType<typeof snapshot>>, root: Element | null) => unknown) => () => {
    const s = snapshot();
    if (s) void f(s, chartsRoot());
  };
  return [
    { id: 'export-json', label: 'Export JSON', run: exportJson },
    { id: 'export-csv', label: 'Export CSV', run: exportCsv },
    {
      id: 'heatmaps-png',
      label: 'Heatmaps PNG',
      run: withSnapshot((s) => heatmapsPng(s.heatmaps, `${s.name}-heatmaps.png`)),
    },
    {
      id: 'heatmaps-svg',
      label: 'Heatmaps SVG',
      run: withSnapshot((s) => heatmapsSvg(s.heatmaps, `${s.name}-heatmaps.svg`)),
    },
    {
      id: 'charts-png',
      label: 'Charts PNG',
      run: withSnapshot((s, root) => root && chartsPng(root, s.looks, `${s.name}-charts.png`)),
    },
    {
      id: 'charts-svg',
      label: 'Charts SVG',
      run: withSnapshot((s, root) => root && chartsSvg(root, s.looks, `${s.name}-charts.svg`)),
    },
  ];
}

export function Library({ chartsRoot }: { chartsRoot: () => Element | null }) {
  const runs = useStore((s) => s.storedRuns);
  const elsewhere = useStore((s) => s.runsLiveElsewhere);
  const error = useStore((s) => s.libraryError);
  const currentId = useStore((s) => s.comparison?.id ?? null);
  // The run being recorded right now cannot be deleted under the recorder's feet.
  const recordingId = useStore((s) =>
    s.mode === 'live' && ['idle', 'ready', 'running', 'paused'].includes(s.runnerState)
      ? (s.comparison?.id ?? null)
      : null,
  );
  const hasRecord = useStore((s) => s.comparison?.summary != null);
  const overlaid = useStore((s) => s.overlays);
  // Curves overlay only on the same network and data: the same axes mean the same thing.
  const shown = useStore((s) => s.comparison?.config ?? s.config);
  const fileRef = useRef<HTMLInputElement>(null);

  return (
    <section className="library panel" aria-label="recorded runs">
      <h2>Recorded runs</h2>
      <div className="library-actions">
        {exportActions(chartsRoot).map((a) => (
          <button key={a.id} type="button" disabled={!hasRecord} onClick={a.run} data-testid={a.id}>
            {a.label}
          </button>
        ))}
        <label className="import-button">
          Import JSON…
          <input
            ref={fileRef}
            type="file"
            accept="application/json,.json"
            data-testid="import"
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) void importFile(file).finally(() => fileRef.current && (fileRef.current.value = ''));
            }}
          />
        </label>
      </div>
      {error && (
        <p className="library-error" role="alert" data-testid="library-error">
          {error}
        </p>
      )}
      <ul className="run-list" data-testid="run-list">
        {runs.length === 0 && <li className="muted">No runs yet: Start one, or import a run file.</li>}
        {runs.map((r) => (
          <li key={r.id} data-run-id={r.id} className={r.id === currentId ? 'current' : undefined}>
            <button type="button" className="link" onClick={() => void openStored(r.id)}>
              {r.config.model} ×{r.config.width} · p {r.config.targetPruningRate} · seed {r.config.seed}
            </button>
            {r.source === 'remote' && (
              <span className="remote-badge" data-testid="run-remote">
                remote
              </span>
            )}
            <span className="muted">
              {new Date(r.createdAt).toLocaleString()} ·{' '}
              <span data-testid="run-status">{elsewhere.includes(r.id) ? 'live in another tab' : r.status}</span> ·{' '}
              {r.items} reports
            </span>
            {r.id !== currentId && r.config.model === shown.model && r.config.dataset === shown.dataset && (
              <button
                type="button"
                className="link"
                aria-pressed={overlaid.some((o) => o.recordId === r.id)}
                onClick={() => void toggleOverlay(r.id)}
                data-testid="overlay-run"
                title="Draw this run's curves over the shared chart"
              >
                {overlaid.some((o) => o.recordId === r.id) ? 'remove overlay' : 'overlay'}
              </button>
            )}
            {r.id !== recordingId && !elsewhere.includes(r.id) && (
              <button
                type="button"
                className="link danger"
                onClick={() => void deleteStored(r.id)}
                aria-label="delete run"
              >
                delete
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
