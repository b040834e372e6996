// An iEP run's schedule, drawn and edited: drag a cycle's point to change when it starts (x) and its pruning rate
// (y), or pick a preset. Every other iEP run of the setup is drawn on the same axes, dashed, in its own colour, so
// schedules are compared where they are made. A schedule that breaks a rule stays drawn, with the rule said under it and the point in question
// marked, so nothing the user drew is thrown away.
import { useRef } from 'react';
import * as d3 from 'd3';
import { useStore } from '../../store';
import { estimateSteps, repairSchedule, schedulePoints } from '../../store/schedule';
import {
  MAX_CYCLES,
  withinLimit,
  type ComparisonConfig,
  type IepConfig,
  type IepRun,
  type SchedulePoint,
} from '../../protocol/config';
import { runColor } from './palette';
import { schedulePointProblems, type ConfigError } from '../../protocol/validate';
import { useFieldError } from './fields';
import { Explain } from './Explain';

const W = 440;
const H = 190;
const M = { top: 14, right: 52, bottom: 34, left: 52 };

function pointIndex(field: string): number | null {
  const m = field.match(/\.points\[(\d+)\]/);
  return m ? Number(m[1]) : null;
}

/** Whether the fields the step estimate reads are in range: until they are, nothing is computed from them. */
function stepsKnown(config: ComparisonConfig): boolean {
  return (
    withinLimit('epochs', config.epochs) &&
    withinLimit('batchSize', config.batchSize) &&
    (config.trainLimit === null || withinLimit('trainLimit', config.trainLimit))
  );
}

/** Every rule the drawn schedule breaks (custom schedules only: presets are valid by construction). */
function scheduleProblems(iep: IepConfig, target: number, points: SchedulePoint[], at: string): ConfigError[] {
  if (iep.schedule !== 'custom' || !withinLimit('targetPruningRate', target)) return [];
  return schedulePointProblems(points, iep.cycles, target, at);
}

/** The message without its field path: the editor names the cycle in words. */
function said(e: ConfigError): string {
  const prefix = `${e.field}: `;
  return e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
}

const clampP = (p: number) => Math.round(Math.min(0.999, Math.max(0, p)) * 1000) / 1000;

/** Edits the schedule of the iEP run at `index` of the setup's runs. */
export function ScheduleEditor({ disabled, index }: { disabled: boolean; index: number }) {
  const config = useStore((s) => s.config);
  const setConfig = useStore((s) => s.setConfig);
  const run = config.runs[index] as IepRun;
  const iep = run.iep;
  const at = `runs[${index}].iep`;
  const pointsError = useFieldError(`${at}.points`);
  const cyclesError = useFieldError(`${at}.cycles`);
  const svgRef = useRef<SVGSVGElement>(null);
  const dragging = useRef<number | null>(null);
  const trainImages = useStore((s) => s.datasets.find((d) => d.id === s.config.dataset)?.train);

  const valid = stepsKnown(config);
  const estimate = valid ? estimateSteps(config, trainImages) : null;
  const steps = estimate?.[run.id] ?? 1;
  const points = schedulePoints(iep, config.targetPruningRate, steps);
  const problems = scheduleProblems(iep, config.targetPruningRate, points, at);
  const others = config.runs.flatMap((r, k) =>
    r.method === 'iep' && k !== index
      ? [
          {
            id: r.id,
            color: runColor(k).line,
            points: schedulePoints(r.iep, config.targetPruningRate, estimate?.[r.id] ?? 1),
          },
        ]
      : [],
  );
  // The schedule's own rules, all of them; else a field's range (the cycle count, a point's value).
  const errors = problems.length > 0 ? problems.map(said) : [pointsError ?? cyclesError].filter((e) => e !== null);
  const bad = new Set(problems.map((e) => pointIndex(e.field)));
  const xMax = Math.max(
    steps,
    ...points.map((p) => p.step + 1),
    ...others.flatMap((o) => o.points.map((p) => p.step + 1)),
  );
  const x = d3
    .scaleLinear()
    .domain([0, xMax])
    .range([M.left, W - M.right]);
  const y = d3
    .scaleLinear()
    .domain([0, 1])
    .range([H - M.bottom, M.top]);
  // A custom point beyond iEP's budget (say, after the epochs were lowered) is legal but never reached.
  const late = valid ? points.findIndex((p) => p.step >= steps) : -1;

  const setIep = (next: IepConfig) =>
    setConfig({ ...config, runs: config.runs.map((r, k) => (k === index ? { ...run, iep: next } : r)) });

  const setPoints = (next: SchedulePoint[]) =>
    setIep({ ...iep, schedule: 'custom', points: next, cycles: next.length });

  const setPreset = (schedule: 'geometric' | 'linear' | 'one-shot') => {
    const preset = { ...iep, schedule };
    delete preset.points;
    setIep(preset);
  };

  const onPointerMove = (e: React.PointerEvent<SVGSVGElement>) => {
    const i = dragging.current;
    if (i === null || disabled) return;
    const [px, py] = d3.pointer(e, svgRef.current);
    // Held inside the plot: a point dragged past an edge stops at it.
    const step = i === 0 ? 0 : Math.min(xMax, Math.max(0, Math.round(x.invert(px))));
    setPoints(points.map((pt, k) => (k === i ? { step, p: clampP(y.invert(py)) } : pt)));
  };

  // Keyboard editing of a focused point: up/down move p by 0.01, left/right move the cycle's start.
  const onPointKey = (i: number, e: React.KeyboardEvent) => {
    const moves: Record<string, [number, number]> = {
      ArrowUp: [0, 0.01],
      ArrowDown: [0, -0.01],
      ArrowLeft: [-1, 0],
      ArrowRight: [1, 0],
    };
    const move = moves[e.key];
    if (!move || disabled) return;
    e.preventDefault();
    // The studio's own arrow keys scrub the timeline; here they belong to the point.
    e.stopPropagation();
    const stride = Math.max(1, Math.round(xMax / 100));
    setPoints(
      points.map((pt, k) =>
        k !== i
          ? pt
          : {
              step: i === 0 ? 0 : Math.min(xMax, Math.max(0, pt.step + move[0] * stride)),
              p: clampP(pt.p + move[1]),
            },
      ),
    );
  };

  const addCycle = () => {
    if (points.length === 0 || points.length >= MAX_CYCLES) return;
    const last = points[points.length - 1];
    const prev = points[points.length - 2];
    const step = prev ? Math.round((prev.step + last.step) / 2) : Math.round(xMax / 2);
    const p = prev ? Math.round(((prev.p + last.p) / 2) * 1000) / 1000 : last.p;
    const next = [...points];
    if (prev && step > prev.step && step < last.step) next.splice(points.length - 1, 0, { step, p });
    else next.push({ step: Math.max(last.step + 1, Math.round((last.step + xMax) / 2)), p: last.p });
    setPoints(next);
  };

  // Drops the second-to-last cycle and repairs what is left (store/schedule.ts), so the result is always valid.
  const removeCycle = () => {
    if (points.length <= 1 || !withinLimit('targetPruningRate', config.targetPruningRate)) return;
    const rest = points.filter((_, k) => k !== points.length - 2);
    setPoints(repairSchedule(rest, clampP(config.targetPruningRate)));
  };

  // The p in force over iEP's steps: each point holds until the next one.
  const pathOf = (pts: SchedulePoint[]) =>
    d3
      .line<SchedulePoint>()
      .curve(d3.curveStepAfter)
      .x((d) => x(d.step))
      .y((d) => y(d.p))([...pts, { step: xMax, p: pts[pts.length - 1]?.p ?? 0 }]);
  const path = pathOf(points);

  return (
    <div className="schedule-editor" data-testid="schedule-editor">
      <div className="schedule-head">
        <span className="panel-label">
          <Explain term="iep">{run.label} schedule</Explain>
        </span>
        <div className="schedule-presets" role="group" aria-label="schedule presets">
          {(['geometric', 'linear', 'one-shot'] as const).map((k) => (
            <button
              key={k}
              type="button"
              disabled={disabled}
              aria-pressed={iep.schedule === k}
              onClick={() => setPreset(k)}
            >
              {k === 'geometric' ? '1 − 0.8^c' : k}
            </button>
          ))}
          <button type="button" disabled={disabled} onClick={addCycle} title="Add a cycle">
            + cycle
          </button>
          <button type="button" disabled={disabled || points.length <= 1} onClick={removeCycle} title="Remove a cycle">
            − cycle
          </button>
        </div>
      </div>
      <svg
        ref={svgRef}
        width={W}
        height={H}
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label="iEP pruning rate over steps"
        onPointerMove={onPointerMove}
        onPointerUp={() => (dragging.current = null)}
        onPointerLeave={() => (dragging.current = null)}
      >
        <g className="axis">
          {y.ticks(5).map((t) => (
            <g key={t} transform={`translate(0,${y(t)})`}>
              <line x1={M.left} x2={W - M.right} className="grid" />
              <text x={M.left - 6} dy="0.32em" textAnchor="end">
                {t.toFixed(1)}
              </text>
              <text x={W - M.right + 6} dy="0.32em">
                {Math.round((1 - t) * 100)}%
              </text>
            </g>
          ))}
          {x.ticks(4).map((t) => (
            <text key={t} x={x(t)} y={H - M.bottom + 16} textAnchor="middle">
              {t}
            </text>
          ))}
          <text x={M.left - 40} y={M.top - 2} className="axis-title">
            p
          </text>
          <text x={W - M.right + 4} y={M.top - 2} className="axis-title">
            kept
          </text>
          <text x={(M.left + W - M.right) / 2} y={H - 4} textAnchor="middle" className="axis-title">
            iEP step (estimated)
          </text>
        </g>
        {withinLimit('targetPruningRate', config.targetPruningRate) && (
          <line
            className="schedule-target"
            x1={M.left}
            x2={W - M.right}
            y1={y(config.targetPruningRate)}
            y2={y(config.targetPruningRate)}
          />
        )}
        {others.map((o) => (
          <path
            key={o.id}
            className="schedule-other"
            d={pathOf(o.points) ?? undefined}
            stroke={o.color}
            data-run={o.id}
          />
        ))}
        {path && <path className="schedule-line" d={path} stroke={runColor(index).line} />}
        {points.map((pt, i) => (
          <circle
            key={i}
            className={`schedule-point${bad.has(i) ? ' schedule-point-bad' : ''}`}
            data-index={i}
            cx={x(pt.step)}
            cy={y(pt.p)}
            r={8}
            tabIndex={disabled ? -1 : 0}
            aria-label={`cycle ${i + 1}: from step ${pt.step}, p ${pt.p.toFixed(3)}`}
            onKeyDown={(e) => onPointKey(i, e)}
            onPointerDown={(e) => {
              if (disabled) return;
              (e.target as Element).setPointerCapture?.(e.pointerId);
              dragging.current = i;
            }}
          >
            <title>{`cycle ${i + 1}: from step ${pt.step}, p = ${pt.p.toFixed(3)} (kept ${((1 - pt.p) * 100).toFixed(1)}%)`}</title>
          </circle>
        ))}
      </svg>
      {errors.length > 0 ? (
        <ul className="field-error schedule-errors" role="alert">
          {errors.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      ) : (
        <p className="schedule-note">
          {points.length} cycles; dashed line: the target p = {config.targetPruningRate} that EP uses throughout.
        </p>
      )}
      {errors.length === 0 && late >= 0 && (
        <p className="schedule-warning" role="status">
          Cycle {late + 1} starts at step {points[late].step}, but iEP has only about {steps} steps: move it earlier.
        </p>
      )}
    </div>
  );
}
