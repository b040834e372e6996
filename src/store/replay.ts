// Replay of a recorded run: the timeline cursor walks from report to report at the chosen speed, no training.
import { useStore } from './index';
import { reportSteps } from './series';

let timer: ReturnType<typeof setInterval> | null = null;

function tick(): void {
  const s = useStore.getState();
  const steps = reportSteps(s.series);
  if (s.cursor === null || s.cursor >= steps[steps.length - 1]) {
    s.setReplayPlaying(false);
    return;
  }
  s.scrub(1);
}

function restart(): void {
  if (timer) clearInterval(timer);
  timer = null;
  const s = useStore.getState();
  if (!s.replayPlaying) return;
  const steps = reportSteps(s.series);
  if (steps.length === 0) {
    s.setReplayPlaying(false);
    return;
  }
  // Playing from the end starts again from the first report.
  if (s.cursor === null || s.cursor >= steps[steps.length - 1]) s.setCursor(steps[0]);
  timer = setInterval(tick, 1000 / s.replaySpeed);
}

export function startReplayDriver(): () => void {
  const unsubscribe = useStore.subscribe((s, prev) => {
    if (s.replayPlaying !== prev.replayPlaying || (s.replayPlaying && s.replaySpeed !== prev.replaySpeed)) restart();
  });
  return () => {
    unsubscribe();
    if (timer) clearInterval(timer);
  };
}
