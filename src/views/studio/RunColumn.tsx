// One search's column: where it is (step, cycle, p, learning rate), its curves, its per-layer heatmaps and dying
// ratios, all as they were at the timeline cursor. EP and iEP columns share every scale.
import { useStore } from '../../store';
import type { RunKind } from '../../protocol/config';
import { lastAtOrBefore, reportAt } from '../../store/series';
import { RUN_COLOR, RUN_LABEL } from './colors';
import { DyingBars } from './DyingBars';
import { Explain } from './Explain';
import { HeatmapTile } from './HeatmapTile';
import { LineChart } from './LineChart';

export interface SharedScales {
  steps: number;
  lossMax: number;
}

const TILE = 104;
const TALK_TILE = 150;
const CHART_W = 210;
const CHART_H = 130;

function pct(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}

export function RunColumn({ run, scales }: { run: RunKind; scales: SharedScales }) {
  const series = useStore((s) => s.series[run]);
  const cursor = useStore((s) => s.cursor);
  const summary = useStore((s) => s.comparison?.summary ?? null);
  const total = useStore((s) => s.comparison?.totalSteps?.[run] ?? null);
  const setEnlarged = useStore((s) => s.setEnlargedLayer);
  const tile = useStore((s) => (s.talkMode ? TALK_TILE : TILE));
  const report = reportAt(series, cursor);
  const upTo = cursor === null ? series.reports.length : lastAtOrBefore(series.reports, cursor) + 1;
  const shown = series.reports.slice(0, upTo);
  const evals = cursor === null ? series.evals : series.evals.filter((e) => e.step <= cursor);
  const color = RUN_COLOR[run];
  const lastEval = evals[evals.length - 1];

  return (
    <section className={`run-column run-${run}`} aria-label={`${RUN_LABEL[run]} column`} data-run={run}>
      <header className="run-head" style={{ borderColor: color }}>
        <h2 style={{ color }}>
          <Explain term={run}>{RUN_LABEL[run]}</Explain>
        </h2>
        <dl className="run-stats">
          <div>
            <dt>step</dt>
            <dd data-testid={`${run}-step`}>
              {report?.step ?? 0}
              {total ? ` / ${total}` : ''}
            </dd>
          </div>
          <div>
            <dt>cycle</dt>
            <dd>{report ? `${report.cycle} / ${report.cycles}` : '–'}</dd>
          </div>
          <div>
            <dt>
              <Explain term="pruningRate">p</Explain>
            </dt>
            <dd data-testid={`${run}-p`}>
              {report ? `${report.pruningRate.toFixed(3)} (kept ${pct(1 - report.pruningRate)})` : '–'}
            </dd>
          </div>
          <div>
            <dt>lr</dt>
            <dd data-testid={`${run}-lr`}>{report ? report.learningRate.toPrecision(3) : '–'}</dd>
          </div>
          <div>
            <dt>test acc.</dt>
            <dd data-testid={`${run}-test-acc`}>{lastEval ? pct(lastEval.testAccuracy) : '–'}</dd>
          </div>
        </dl>
      </header>
      <div className="run-curves">
        <LineChart
          title="training loss"
          width={CHART_W}
          height={CHART_H}
          xDomain={[0, scales.steps]}
          yDomain={[0, scales.lossMax]}
          lines={[{ label: 'loss', color, points: shown.map((r) => [r.step, r.loss]) }]}
          cursor={cursor}
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
          cursor={cursor}
        />
      </div>
      <div className="panel-label">
        <Explain term="usage">Edge usage per layer</Explain> <span className="muted">(click to enlarge)</span>
      </div>
      <div className="heatmap-grid" data-testid={`${run}-heatmaps`}>
        {summary?.layers.map((layer) => (
          <HeatmapTile
            key={layer.name}
            run={RUN_LABEL[run]}
            summary={layer}
            layer={report?.layers.find((l) => l.name === layer.name)}
            size={tile}
            onOpen={() => setEnlarged(layer.name)}
          />
        ))}
      </div>
      {summary && (
        <DyingBars
          layers={summary.layers}
          reports={report?.layers ?? null}
          pruningRate={report?.pruningRate ?? null}
          color={color}
          run={RUN_LABEL[run]}
        />
      )}
    </section>
  );
}
