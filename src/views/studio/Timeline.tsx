// The timeline: every report is kept, so the slider can go back to any reported step; a recorded run replays
// along it at the chosen speed (no training).
import { useStore } from '../../store';
import { REPLAY_SPEEDS } from '../../store/studio';
import { lastStep, reportSteps } from '../../store/series';

export function Timeline() {
  const series = useStore((s) => s.series);
  const cursor = useStore((s) => s.cursor);
  const mode = useStore((s) => s.mode);
  const playing = useStore((s) => s.replayPlaying);
  const speed = useStore((s) => s.replaySpeed);
  const setCursor = useStore((s) => s.setCursor);
  const scrub = useStore((s) => s.scrub);
  const setPlaying = useStore((s) => s.setReplayPlaying);
  const setSpeed = useStore((s) => s.setReplaySpeed);
  const stops = reportSteps(series);
  const end = lastStep(series);
  const at = cursor ?? end;
  const following = mode === 'live' && cursor === null;

  return (
    <section className="timeline panel" aria-label="timeline">
      <button type="button" onClick={() => scrub(-1)} disabled={stops.length === 0} aria-label="previous report">
        ◀
      </button>
      <input
        type="range"
        aria-label="timeline step"
        data-testid="timeline"
        min={stops[0] ?? 0}
        max={Math.max(end, 1)}
        value={at}
        disabled={stops.length === 0}
        onChange={(e) => setCursor(Number(e.target.value))}
      />
      <button type="button" onClick={() => scrub(1)} disabled={stops.length === 0} aria-label="next report">
        ▶
      </button>
      <span className="timeline-at" data-testid="timeline-at">
        step {at} / {end}
        {following ? ' · live' : ''}
      </span>
      {mode === 'live' && !following && (
        <button type="button" onClick={() => setCursor(null)}>
          Follow live
        </button>
      )}
      {mode === 'recorded' && (
        <>
          <button type="button" data-testid="replay" onClick={() => setPlaying(!playing)} disabled={stops.length === 0}>
            {playing ? 'Pause replay' : 'Replay'}
          </button>
          <label>
            replay speed{' '}
            <select value={speed} onChange={(e) => setSpeed(Number(e.target.value))} data-testid="replay-speed">
              {REPLAY_SPEEDS.map((s) => (
                <option key={s} value={s}>
                  {s} reports/s
                </option>
              ))}
            </select>
          </label>
        </>
      )}
    </section>
  );
}
