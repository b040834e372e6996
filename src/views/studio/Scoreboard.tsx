// The comparison in numbers at the timeline cursor, with its budget named: a verdict without the budget is no
// verdict (unequal compute is the standard objection to iEP).
import { useStore } from '../../store';
import { RUN_KINDS } from '../../protocol/config';
import { networkDying, reportAt } from '../../store/series';
import { RUN_COLOR, RUN_LABEL } from './colors';

function pct(v: number | undefined): string {
  return v === undefined ? '–' : `${(v * 100).toFixed(1)}%`;
}

export function Scoreboard() {
  const series = useStore((s) => s.series);
  const cursor = useStore((s) => s.cursor);
  const summary = useStore((s) => s.comparison?.summary ?? null);
  const average = useStore((s) => s.dyingAverage);
  const budget = useStore((s) => s.comparison?.config.budget ?? null);
  const totals = useStore((s) => s.comparison?.totalSteps ?? null);
  if (!summary) return null;

  return (
    <table className="scoreboard" data-testid="scoreboard">
      <caption>
        At this step · budget {budget}
        {totals ? ` (EP ${totals.ep} steps, iEP ${totals.iep} steps)` : ''}
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
        </tr>
      </thead>
      <tbody>
        {RUN_KINDS.map((run) => {
          const report = reportAt(series[run], cursor);
          const evals = series[run].evals.filter((e) => cursor === null || e.step <= cursor);
          const best = evals.length ? Math.max(...evals.map((e) => e.testAccuracy)) : undefined;
          const dying = report ? networkDying(report.layers, summary, average) : NaN;
          const atTarget = report ? networkDying(report.layers, summary, average, true) : NaN;
          return (
            <tr key={run} data-run={run}>
              <th style={{ color: RUN_COLOR[run] }}>{RUN_LABEL[run]}</th>
              <td>{report?.step ?? 0}</td>
              <td>
                {pct(evals.at(-1)?.testAccuracy)} ({pct(best)})
              </td>
              <td>{Number.isFinite(dying) ? dying.toFixed(3) : '–'}</td>
              <td>{Number.isFinite(atTarget) ? atTarget.toFixed(3) : '–'}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
