// Recorded runs: every run is stored as it trains; open one to replay it, export it (JSON, CSV, pictures), or
// import a run file. A rejected import says why and leaves the stored runs as they were.
import { useRef } from 'react';
import { useStore } from '../../store';
import { deleteStored, exportCsv, exportJson, importFile, openStored } from '../../store/library';
import { reportAt } from '../../store/series';
import { fileStem } from '../../store/runFiles';
import { toRecord } from '../../store/studio';
import { chartsPng, chartsSvg, heatmapsPng, heatmapsSvg } from './exportImages';

export function Library({ chartsRoot }: { chartsRoot: () => Element | null }) {
  const runs = useStore((s) => s.storedRuns);
  const error = useStore((s) => s.libraryError);
  const currentId = useStore((s) => s.comparison?.id ?? null);
  // The run being recorded right now cannot be deleted under the recorder's feet.
  const recordingId = useStore((s) =>
    s.mode === 'live' && ['idle', 'ready', 'running', 'paused'].includes(s.runnerState)
      ? (s.comparison?.id ?? null)
      : null,
  );
  const hasRecord = useStore((s) => s.comparison?.summary != null);
  const fileRef = useRef<HTMLInputElement>(null);

  const snapshot = () => {
    const s = useStore.getState();
    const record = toRecord(s);
    if (!record) return null;
    return {
      name: fileStem(record),
      data: {
        summary: record.summary,
        reports: { ep: reportAt(s.series.ep, s.cursor), iep: reportAt(s.series.iep, s.cursor) },
      },
    };
  };

  return (
    <section className="library panel" aria-label="recorded runs">
      <h2>Recorded runs</h2>
      <div className="library-actions">
        <button type="button" disabled={!hasRecord} onClick={exportJson} data-testid="export-json">
          Export JSON
        </button>
        <button type="button" disabled={!hasRecord} onClick={exportCsv} data-testid="export-csv">
          Export CSV
        </button>
        <button
          type="button"
          disabled={!hasRecord}
          onClick={() => {
            const s = snapshot();
            if (s) void heatmapsPng(s.data, `${s.name}-heatmaps.png`);
          }}
          data-testid="heatmaps-png"
        >
          Heatmaps PNG
        </button>
        <button
          type="button"
          disabled={!hasRecord}
          onClick={() => {
            const s = snapshot();
            if (s) heatmapsSvg(s.data, `${s.name}-heatmaps.svg`);
          }}
          data-testid="heatmaps-svg"
        >
          Heatmaps SVG
        </button>
        <button
          type="button"
          disabled={!hasRecord}
          onClick={() => {
            const s = snapshot();
            const root = chartsRoot();
            if (s && root) void chartsPng(root, `${s.name}-charts.png`);
          }}
          data-testid="charts-png"
        >
          Charts PNG
        </button>
        <button
          type="button"
          disabled={!hasRecord}
          onClick={() => {
            const s = snapshot();
            const root = chartsRoot();
            if (s && root) chartsSvg(root, `${s.name}-charts.svg`);
          }}
          data-testid="charts-svg"
        >
          Charts SVG
        </button>
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
            <span className="muted">
              {new Date(r.createdAt).toLocaleString()} · {r.status} · {r.items} reports
            </span>
            {r.id !== recordingId && (
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
