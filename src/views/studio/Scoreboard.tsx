// The comparison in numbers at the timeline cursor, with its budget named: a verdict without the budget is no
// verdict (unequal compute is the standard objection to iEP). Rows keep the columns' order; the last column ranks
// the runs by their latest test accuracy at the cursor. It is drawn (with dashes) from the moment a comparison is on
// screen, before the engine has described the model, so that its first numbers move nothing around it.
import { useStore } from '../../store';
import { shownStep } from '../../store/studio';
import { networkDying, reportAt, seriesOf } from '../../store/series';
import { useRunLooks } from './colors';

function pct(v: number | undefined): string {
  return v === undefined ? '–' : `${(v * 100).toFixed(1)}%`;
}

export function Scoreboard() {
  const series = useStore((s) => s.series);
  const cursor = useStore(shownStep);
  const summary = useStore((s) => s.comparison?.summary ?? null);
  const average = useStore((s) => s.dyingAverage);
  const budget = useStore((s) => s.comparison?.config.budget ?? null);
  const totals = useStore((s) => s.comparison?.totalSteps ?? null);
  const shown = useStore((s) => s.comparison !== null);
  const looks = useRunLooks();
  if (!shown) return null;
  const rows = looks.map((look) => {
    const run = seriesOf(series, look.id);
    const report = reportAt(run, cursor);
    const evals = run.evals.filter((e) => cursor === null || e.step <= cursor);
    return { look, report, evals, latest: evals.at(-1)?.testAccuracy };
  });
  const ranked = rows.filter((r) => r.latest !== undefined).sort((a, b) => b.latest! - a.latest!);

  return (
    <table className="scoreboard" data-testid="scoreboard">
      <caption>
        At this step · budget {budget}
        {totals ? ` (${looks.map((l) => `${l.label} ${totals[l.id] ?? 0} steps`).join(', ')})` : ''}
      </caption>
      <thead>
        <tr>
          <th>run</th>
          <th>step</th>
          <th>test acc. (best)</th>
          <th>
            d<sub>t</sub>
          </th>
          <th>
            d<sub>t</sub> at target
          </th>
          <th>rank</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ look, report, evals }) => {
          const run = look.id;
          const rank = ranked.findIndex((r) => r.look.id === run);
          const best = evals.length ? Math.max(...evals.map((e) => e.testAccuracy)) : undefined;
          const dying = report && summary ? networkDying(report.layers, summary, average) : NaN;
          const atTarget = report && summary ? networkDying(report.layers, summary, average, true) : NaN;
          return (
            <tr key={run} data-run={run}>
              <th style={{ color: look.textColor }}>{look.label}</th>
              <td>{report?.step ?? 0}</td>
              <td>
                {pct(evals.at(-1)?.testAccuracy)} ({pct(best)})
              </td>
              <td>{Number.isFinite(dying) ? dying.toFixed(3) : '–'}</td>
              <td>{Number.isFinite(atTarget) ? atTarget.toFixed(3) : '–'}</td>
              <td data-testid="rank">{rank < 0 ? '–' : `#${rank + 1}`}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
