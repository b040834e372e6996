// One layer, large, for both runs side by side (opened by clicking a heatmap; Escape or a click outside closes it).
import { useStore } from '../../store';
import { shownStep } from '../../store/studio';
import { reportAt, seriesOf } from '../../store/series';
import { useRunLooks } from './colors';
import { HeatmapTile } from './HeatmapTile';

const SIZE = 380;

export function EnlargedLayer() {
  const name = useStore((s) => s.enlargedLayer);
  const summary = useStore((s) => s.comparison?.summary ?? null);
  const series = useStore((s) => s.series);
  const cursor = useStore(shownStep);
  const close = useStore((s) => s.setEnlargedLayer);
  // A dense run has no mask, so no heatmap of this layer.
  const looks = useRunLooks().filter((l) => l.masked);
  const layer = summary?.layers.find((l) => l.name === name);
  if (!name || !layer) return null;
  return (
    <div className="enlarged-backdrop" onClick={() => close(null)} data-testid="enlarged">
      <div
        className="enlarged"
        role="dialog"
        aria-modal="true"
        aria-label={`layer ${name} enlarged`}
        onClick={(e) => e.stopPropagation()}
      >
        <header>
          <h2>
            Layer {layer.name}{' '}
            <span className="muted">
              ({layer.kind}, shape {layer.shape.join('×')}, {layer.edges} edges)
            </span>
          </h2>
          <button type="button" onClick={() => close(null)} aria-label="close">
            ✕
          </button>
        </header>
        <div className="enlarged-maps">
          {looks.map(({ id: run, label, textColor }) => {
            const report = reportAt(seriesOf(series, run), cursor);
            const l = report?.layers.find((x) => x.name === name);
            return (
              <div key={run}>
                <h3 style={{ color: textColor }}>
                  {label}
                  {l ? ` · d = ${l.dyingRatio.toFixed(3)} · at target ${l.dyingRatioAtTarget.toFixed(3)}` : ''}
                </h3>
                <HeatmapTile layer={l} summary={layer} run={label} size={SIZE} />
              </div>
            );
          })}
        </div>
        <p className="explain-line">
          Rows: output channels; columns: input channels; hover a cell for its selection rate. d: dying ratio (edges
          never selected so far); at target: never inside the target kept fraction, the like-for-like measure.
        </p>
      </div>
    </div>
  );
}
