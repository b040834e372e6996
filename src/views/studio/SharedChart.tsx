// Every run on one chart, in its own colour: the network's dying ratio (and at the target rate) and test accuracy
// against steps. A dense run has no dying ratio; its accuracy is the baseline.
import { useStore } from '../../store';
import { shownStep } from '../../store/studio';
import { lastAtOrBefore, networkDying, seriesOf } from '../../store/series';
import { useRunLooks } from './colors';
import { Explain } from './Explain';
import { ChartLegend, LineChart, type Line } from './LineChart';

const OVERLAY_GREYS = ['#555555', '#888888', '#333333', '#aaaaaa'];

export function SharedChart({ steps }: { steps: number }) {
  const series = useStore((s) => s.series);
  const summary = useStore((s) => s.comparison?.summary ?? null);
  const cursor = useStore(shownStep);
  const rule = useStore((s) => s.cursor);
  const average = useStore((s) => s.dyingAverage);
  const setAverage = useStore((s) => s.setDyingAverage);
  const budget = useStore((s) => s.comparison?.config.budget ?? s.config.budget);
  const large = useStore((s) => s.talkMode);
  // Two short charts, stacked where the panel is narrow (beside the controls) and side by side where it is wide.
  const size = { width: 420, height: large ? 150 : 100, large };

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

  // Recorded runs over the live ones: grey, dotted, each named in the legend.
  overlays.forEach((o, i) => {
    const color = OVERLAY_GREYS[i % OVERLAY_GREYS.length];
    if (o.masked) {
      dying.push({
        label: `${o.label} d_t`,
        color,
        dashed: true,
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
      <div className="shared-charts">
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
        <ChartLegend lines={[...dying, ...accuracy.map((l) => ({ ...l, dashed: false }))]} />
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
