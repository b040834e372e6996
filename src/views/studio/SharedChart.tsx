// Every run on one chart, in its own colour: the network's dying ratio (and at the target rate) and test accuracy
// against steps. A dense run has no dying ratio; its accuracy is the baseline. The legend names each run once by its
// colour and says once what the line styles mean, so it stays two short lines however many runs there are.
import { useRef } from 'react';
import { useStore } from '../../store';
import { shownStep } from '../../store/studio';
import { lastAtOrBefore, networkDying, seriesOf } from '../../store/series';
import { useRunLooks } from './colors';
import { Explain } from './Explain';
import { LineChart, type Line } from './LineChart';
import { useWidth } from './tileFit';

const OVERLAY_GREYS = ['#555555', '#888888', '#333333', '#aaaaaa'];

// At the desk the charts are drawn at their size on screen (their text stays at its CSS size): side by side where
// each gets at least MIN_SIDE px, else stacked and shorter. On stage the viewBox scales them to their column, text
// included.
const SIDE_BY_SIDE_HEIGHT = 120;
const STACKED_HEIGHT = 84;
const MIN_SIDE = 220;
const CHART_GAP = 8;
const STAGE = { width: 420, height: 150 };

function chartSize(width: number, large: boolean): { width: number; height: number; large: boolean } {
  if (large) return { ...STAGE, large };
  if (width <= 0) return { width: STAGE.width, height: STACKED_HEIGHT, large };
  if (width >= 2 * MIN_SIDE + CHART_GAP) {
    return { width: Math.floor((width - CHART_GAP) / 2), height: SIDE_BY_SIDE_HEIGHT, large };
  }
  return { width: Math.floor(width), height: STACKED_HEIGHT, large };
}

/** A run's (or a recorded run's) colour and name. */
interface Named {
  label: string;
  color: string;
}

/** Each run once, by colour, then what each line style means, once. */
function Legend({ runs }: { runs: Named[] }) {
  const sample = 'var(--text)';
  return (
    <div className="chart-legend">
      <ul className="chart-legend-list" aria-label="runs">
        {runs.map((r, i) => (
          <li key={`${i} ${r.label}`}>
            <span className="legend-run-swatch" style={{ background: r.color }} aria-hidden="true" />
            {r.label}
          </li>
        ))}
      </ul>
      <ul className="chart-styles" aria-label="line styles">
        <li>
          <svg width={28} height={10} aria-hidden="true">
            <line x1={0} x2={28} y1={5} y2={5} stroke={sample} strokeWidth={3} />
          </svg>
          <span>
            d<sub>t</sub>
          </span>
        </li>
        <li>
          <svg width={28} height={10} aria-hidden="true">
            <line x1={0} x2={28} y1={5} y2={5} stroke={sample} strokeWidth={3} strokeDasharray="6 4" />
          </svg>
          <span>
            d<sub>t</sub> at target
          </span>
        </li>
        <li>
          <svg width={28} height={10} aria-hidden="true">
            <circle cx={7} cy={5} r={3.5} fill={sample} />
            <circle cx={21} cy={5} r={3.5} fill={sample} />
          </svg>
          test accuracy
        </li>
      </ul>
    </div>
  );
}

export function SharedChart({ steps }: { steps: number }) {
  const series = useStore((s) => s.series);
  const summary = useStore((s) => s.comparison?.summary ?? null);
  const cursor = useStore(shownStep);
  const rule = useStore((s) => s.cursor);
  const average = useStore((s) => s.dyingAverage);
  const setAverage = useStore((s) => s.setDyingAverage);
  const budget = useStore((s) => s.comparison?.config.budget ?? s.config.budget);
  const large = useStore((s) => s.talkMode);
  const boxRef = useRef<HTMLDivElement>(null);
  const size = chartSize(useWidth(boxRef), large);

  const dying: Line[] = [];
  const accuracy: Line[] = [];
  const looks = useRunLooks();
  const overlays = useStore((s) => s.overlays);
  for (const { id, label, color, masked } of looks) {
    const { reports, evals } = seriesOf(series, id);
    const upTo = cursor === null ? reports.length : lastAtOrBefore(reports, cursor) + 1;
    const shown = reports.slice(0, upTo);
    if (masked) {
      dying.push({
        label: `${label} d_t`,
        color,
        points: shown.map((r) => [r.step, networkDying(r.layers, summary, average)]),
      });
      dying.push({
        label: `${label} at target`,
        color,
        dashed: true,
        points: shown.map((r) => [r.step, networkDying(r.layers, summary, average, true)]),
      });
    }
    accuracy.push({
      label: `${label} test acc.`,
      color,
      dots: true,
      points: evals.filter((e) => cursor === null || e.step <= cursor).map((e) => [e.step, e.testAccuracy]),
    });
  }

  // Recorded runs over the live ones: grey, each named in the legend; their d_t solid like every d_t.
  const named: Named[] = looks.map(({ label, color }) => ({ label, color }));
  overlays.forEach((o, i) => {
    const color = OVERLAY_GREYS[i % OVERLAY_GREYS.length];
    named.push({ label: o.label, color });
    if (o.masked) {
      dying.push({
        label: `${o.label} d_t`,
        color,
        points: o.reports.map((r) => [r.step, networkDying(r.layers, summary, average)]),
      });
    }
    accuracy.push({
      label: `${o.label} test acc.`,
      color,
      dots: true,
      points: o.evals.map((e) => [e.step, e.testAccuracy]),
    });
  });

  return (
    <section className="shared-chart panel" aria-label="the runs compared">
      <div className="shared-head">
        {/* Two runs by name; more are named by the legend, their columns and the scoreboard. */}
        <h2>{looks.length <= 2 ? looks.map((l) => l.label).join(' vs ') : `${looks.length} runs`}</h2>
        <label>
          over layers{' '}
          <select value={average} onChange={(e) => setAverage(e.target.value as typeof average)}>
            <option value="mean">mean</option>
            <option value="weighted">weighted by edges</option>
          </select>
        </label>
      </div>
      <div className="shared-charts" ref={boxRef}>
        <LineChart
          title="dying ratio"
          testId="shared-dying"
          {...size}
          xDomain={[0, steps]}
          yDomain={[0, 1]}
          lines={dying}
          cursor={rule}
        />
        <LineChart
          title="test accuracy"
          testId="shared-accuracy"
          {...size}
          xDomain={[0, steps]}
          yDomain={[0, 1]}
          yFormat={(v) => `${Math.round(v * 100)}%`}
          lines={accuracy}
          cursor={rule}
        />
      </div>
      <div className="shared-foot">
        <Legend runs={named} />
        <details className="shared-how">
          <summary>How to read it</summary>
          <div className="explain-line">
            Solid: <Explain term="dyingEdge">dying ratio</Explain> d<sub>t</sub>; dashed: the same counted only inside
            the <Explain term="dyingAtTarget">target kept fraction</Explain>, the like-for-like measure. Budget:{' '}
            <Explain term="equalCompute">{budget}</Explain>.
          </div>
        </details>
      </div>
    </section>
  );
}
