// One run's column: where it is (step, cycle, p, learning rate, test accuracy, d_t and d_t at the target rate), its
// curves, its per-layer heatmaps and dying ratios, all as they were at the timeline cursor. Every column shares every
// scale. A dense run has no mask: its column shows its curves and says so where the heatmaps would be.
import { useMemo, useRef, type CSSProperties, type ReactNode } from 'react';
import { useStore } from '../../store';
import { shownStep } from '../../store/studio';
import { isWorkerOnly, withinLimit } from '../../protocol/config';
import { layerPlan } from '../../protocol/memory';
import type { LayerSummary } from '../../protocol/report';
import { lastAtOrBefore, networkDying, reportAt, seriesOf } from '../../store/series';
import type { RunLook } from './colors';
import { DyingBars } from './DyingBars';
import { Explain } from './Explain';
import { HeatmapTile } from './HeatmapTile';
import { LineChart } from './LineChart';
import { fillTile, useFittedTile, useSharedSide, useWidth } from './tileFit';

export interface SharedScales {
  steps: number;
  lossMax: number;
}

// Talk mode's tile before its box is measured; at the desk the largest tile (a column fills its width with them).
const TILE = 88;
const DESK_TILE = 104;
const TILE_GAP = 6;
const CHART_W = 210;
const CHART_H = 130;

function pct(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}

function ratio(v: number): string {
  return Number.isFinite(v) ? v.toFixed(3) : '–';
}

/**
 * One figure of a column's header. `room` is about its widest usual value in ch, kept free from the start so that the
 * figures arriving do not rearrange the header.
 */
interface Stat {
  name: ReactNode;
  value: string;
  room: number;
  testId?: string;
}

/** A column's header figures, each whole on one line; they wrap as figures, never cut, where the column is narrow. */
function RunStats({ stats }: { stats: Stat[] }) {
  return (
    <dl className="run-stats">
      {stats.map((s, i) => (
        <div key={i}>
          <dt>{s.name}</dt>
          <dd data-testid={s.testId} style={{ '--room': `${s.room}ch` } as CSSProperties}>
            {s.value}
          </dd>
        </div>
      ))}
    </dl>
  );
}

/**
 * The layers whose heatmaps the column shows: the running model's, or, before a run, the setup's model as the engine
 * will build it, so every tile is in place (empty, at its final size) from the first screen on.
 */
function useLayers(running: LayerSummary[] | null): LayerSummary[] {
  const model = useStore((s) => s.config.model);
  const width = useStore((s) => s.config.width);
  return useMemo(() => {
    if (running) return running;
    // A worker-only net's layers come with the worker's header: this tab has no plan of them.
    if (isWorkerOnly(model)) return [];
    // Names and count do not depend on the width, so a width being typed (or out of range) keeps the tiles.
    return layerPlan(model, withinLimit('width', width) ? width : 1).map((l) => ({
      name: l.name,
      kind: l.kind,
      shape: l.shape,
      edges: l.shape.reduce((a, b) => a * b, 1),
      keptAtTarget: 0,
    }));
  }, [running, model, width]);
}

export function RunColumn({ look, scales }: { look: RunLook; scales: SharedScales }) {
  const run = look.id;
  const series = useStore((s) => seriesOf(s.series, run));
  const cursor = useStore(shownStep);
  const rule = useStore((s) => s.cursor);
  const summary = useStore((s) => s.comparison?.summary ?? null);
  const total = useStore((s) => s.comparison?.totalSteps?.[run] ?? null);
  const setEnlarged = useStore((s) => s.setEnlargedLayer);
  const talkMode = useStore((s) => s.talkMode);
  const average = useStore((s) => s.dyingAverage);
  const layers = useLayers(summary?.layers ?? null);
  const gridRef = useRef<HTMLDivElement>(null);
  const fitted = useFittedTile(gridRef, layers.length, talkMode, TILE_GAP, TILE);
  const staged = useSharedSide(run, fitted, talkMode && look.masked);
  const gridWidth = useWidth(gridRef);
  const tile = talkMode ? staged : fillTile(gridWidth, TILE_GAP, DESK_TILE);
  const report = reportAt(series, cursor);
  const upTo = cursor === null ? series.reports.length : lastAtOrBefore(series.reports, cursor) + 1;
  const shown = series.reports.slice(0, upTo);
  const evals = cursor === null ? series.evals : series.evals.filter((e) => e.step <= cursor);
  const { color, label } = look;
  const lastEval = evals[evals.length - 1];
  const masked = look.masked && report;
  const stats: Stat[] = [
    { name: 'step', value: `${report?.step ?? 0}${total ? ` / ${total}` : ''}`, room: 9, testId: `${run}-step` },
    { name: 'cycle', value: report ? `${report.cycle} / ${report.cycles}` : '–', room: 5 },
    {
      name: <Explain term="pruningRate">p</Explain>,
      value:
        look.method === 'dense'
          ? 'no mask'
          : report
            ? `${report.pruningRate.toFixed(3)} (kept ${pct(1 - report.pruningRate)})`
            : '–',
      room: 16,
      testId: `${run}-p`,
    },
    { name: 'lr', value: report ? report.learningRate.toPrecision(3) : '–', room: 6, testId: `${run}-lr` },
    { name: 'test acc.', value: lastEval ? pct(lastEval.testAccuracy) : '–', room: 5, testId: `${run}-test-acc` },
    {
      name: (
        <>
          d<sub>t</sub>
        </>
      ),
      value: masked ? ratio(networkDying(report.layers, summary, average)) : '–',
      room: 5,
      testId: `${run}-dying`,
    },
    {
      name: (
        <>
          d<sub>t</sub> at target
        </>
      ),
      value: masked ? ratio(networkDying(report.layers, summary, average, true)) : '–',
      room: 5,
      testId: `${run}-dying-target`,
    },
  ];

  return (
    <section
      className={`run-column run-${look.method}`}
      aria-label={`${label} column`}
      data-run={run}
      data-method={look.method}
    >
      <header className="run-head" style={{ borderColor: color }}>
        <h2 style={{ color: look.textColor }} title={`${label} (${look.method})`}>
          <Explain term={look.method}>{label}</Explain>
        </h2>
        <RunStats stats={stats} />
      </header>
      {!look.masked && (
        <p className="muted dense-note" data-testid={`${run}-no-mask`}>
          Dense: its weights are trained and nothing is pruned, so it has no mask, no edge usage and no dying edges; its
          loss and accuracy are the baseline the searches are measured against.
        </p>
      )}
      <div className="heatmap-grid" data-testid={`${run}-heatmaps`} ref={gridRef} hidden={!look.masked}>
        {look.masked &&
          layers.map((layer) => (
            <HeatmapTile
              key={layer.name}
              run={label}
              summary={layer}
              layer={report?.layers.find((l) => l.name === layer.name)}
              size={tile}
              onOpen={() => setEnlarged(layer.name)}
            />
          ))}
      </div>
      <div className="run-curves">
        <LineChart
          title="training loss"
          width={CHART_W}
          height={CHART_H}
          xDomain={[0, scales.steps]}
          yDomain={[0, scales.lossMax]}
          lines={[{ label: 'loss', color, points: shown.map((r) => [r.step, r.loss]) }]}
          cursor={rule}
        />
        <LineChart
          title="accuracy (● test)"
          width={CHART_W}
          height={CHART_H}
          xDomain={[0, scales.steps]}
          yDomain={[0, 1]}
          yFormat={(v) => `${Math.round(v * 100)}%`}
          lines={[
            { label: 'train', color, points: shown.map((r) => [r.step, r.trainAccuracy]) },
            { label: 'test', color, points: evals.map((e) => [e.step, e.testAccuracy]), dashed: true, dots: true },
          ]}
          cursor={rule}
        />
      </div>
      {summary && look.masked && (
        <DyingBars
          layers={summary.layers}
          reports={report?.layers ?? null}
          pruningRate={report?.pruningRate ?? null}
          color={color}
          run={label}
        />
      )}
    </section>
  );
}
