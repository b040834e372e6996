// EP and iEP on one chart: the network's dying ratio (and at the target rate) and test accuracy against steps.
import { useStore } from '../../store';
import { RUN_KINDS } from '../../protocol/config';
import { lastAtOrBefore, networkDying } from '../../store/series';
import { RUN_COLOR, RUN_LABEL } from './colors';
import { Explain } from './Explain';
import { ChartLegend, LineChart, type Line } from './LineChart';

export function SharedChart({ steps }: { steps: number }) {
  const series = useStore((s) => s.series);
  const summary = useStore((s) => s.comparison?.summary ?? null);
  const cursor = useStore((s) => s.cursor);
  const average = useStore((s) => s.dyingAverage);
  const setAverage = useStore((s) => s.setDyingAverage);
  const budget = useStore((s) => s.comparison?.config.budget ?? s.config.budget);
  const large = useStore((s) => s.talkMode);
  // Two short charts, stacked where the panel is narrow (beside the controls) and side by side where it is wide.
  const size = { width: 420, height: large ? 150 : 100, large };

  const dying: Line[] = [];
  const accuracy: Line[] = [];
  for (const run of RUN_KINDS) {
    const { reports, evals } = series[run];
    const upTo = cursor === null ? reports.length : lastAtOrBefore(reports, cursor) + 1;
    const shown = reports.slice(0, upTo);
    const color = RUN_COLOR[run];
    dying.push({
      label: `${RUN_LABEL[run]} d_t`,
      color,
      points: shown.map((r) => [r.step, networkDying(r.layers, summary, average)]),
    });
    dying.push({
      label: `${RUN_LABEL[run]} at target`,
      color,
      dashed: true,
      points: shown.map((r) => [r.step, networkDying(r.layers, summary, average, true)]),
    });
    accuracy.push({
      label: `${RUN_LABEL[run]} test acc.`,
      color,
      dots: true,
      points: evals.filter((e) => cursor === null || e.step <= cursor).map((e) => [e.step, e.testAccuracy]),
    });
  }

  return (
    <section className="shared-chart panel" aria-label="EP and iEP compared">
      <div className="shared-head">
        <h2>EP vs iEP</h2>
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
          cursor={cursor}
        />
        <LineChart
          title="test accuracy"
          testId="shared-accuracy"
          {...size}
          xDomain={[0, steps]}
          yDomain={[0, 1]}
          yFormat={(v) => `${Math.round(v * 100)}%`}
          lines={accuracy}
          cursor={cursor}
        />
      </div>
      <div className="shared-foot">
        <ChartLegend lines={[...dying, ...accuracy.map((l) => ({ ...l, dashed: false }))]} />
        <details className="shared-how">
          <summary>How to read it</summary>
          <p className="explain-line">
            Solid: <Explain term="dyingEdge">dying ratio</Explain> d<sub>t</sub>; dashed: the same counted only inside
            the <Explain term="dyingAtTarget">target kept fraction</Explain>, the like-for-like measure. Budget:{' '}
            <Explain term="equalCompute">{budget}</Explain>.
          </p>
        </details>
      </div>
    </section>
  );
}
