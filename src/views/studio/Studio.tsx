// The studio: EP and iEP side by side from the same random weights. Setup and controls on top, the shared chart,
// then one column per search on the same scales; recorded runs at the bottom. Talk mode hides the controls and
// enlarges the type.
import { useEffect, useRef } from 'react';
import * as d3 from 'd3';
import { useStore } from '../../store';
import { estimateSteps } from '../../store/schedule';
import { lastStep } from '../../store/series';
import { Controls } from './Controls';
import { EnlargedLayer } from './EnlargedLayer';
import { Explain } from './Explain';
import { Library } from './Library';
import { RunError } from './RunError';
import { RunColumn, type SharedScales } from './RunColumn';
import { SetupPanel } from './SetupPanel';
import { SharedChart } from './SharedChart';
import { Timeline } from './Timeline';
import { UsageLegend } from './UsageLegend';
import { startStudio } from './studioSetup';
import { toggleTalk, useStudioKeys } from './useStudioKeys';
import './studio.css';

function useSharedScales(): SharedScales {
  const series = useStore((s) => s.series);
  const totals = useStore((s) => s.comparison?.totalSteps ?? null);
  const config = useStore((s) => s.comparison?.config ?? s.config);
  const trainImages = useStore((s) => s.datasets.find((d) => d.id === config.dataset)?.train);
  const estimated =
    Number.isFinite(config.batchSize) && Number.isFinite(config.epochs) ? estimateSteps(config, trainImages) : null;
  const steps = Math.max(1, totals?.ep ?? 0, totals?.iep ?? 0, lastStep(series), totals ? 0 : (estimated?.iep ?? 0));
  const maxLoss = d3.max([...series.ep.reports, ...series.iep.reports], (r) => r.loss) ?? 2.5;
  // Rounded up to half units so the axis only moves when the loss really outgrows it.
  return { steps, lossMax: Math.max(2.5, Math.ceil(maxLoss * 2) / 2) };
}

export function Studio() {
  const talkMode = useStore((s) => s.talkMode);
  const mode = useStore((s) => s.mode);
  const state = useStore((s) => s.runnerState);
  const notices = useStore((s) => s.notices);
  const dismissNotice = useStore((s) => s.dismissNotice);
  const setConfig = useStore((s) => s.setConfig);
  const runConfig = useStore((s) => s.comparison?.config ?? null);
  const remote = useStore((s) => s.comparison?.source === 'remote');
  const scales = useSharedScales();
  const chartsRef = useRef<HTMLDivElement>(null);
  useEffect(() => startStudio(), []);
  useStudioKeys();

  const locked = mode === 'live' && ['idle', 'ready', 'running', 'paused'].includes(state);

  return (
    <div className={`studio${talkMode ? ' talk' : ''}`} data-testid="studio" data-talk={talkMode}>
      <header className="studio-head">
        <h2 className="studio-title">
          Studio{' '}
          <span className="studio-sub">
            <Explain term="supermask">supermask</Explain> search: each layer keeps its{' '}
            <Explain term="topk">top-k</Explain> edges by <Explain term="score">score</Explain>;{' '}
            <Explain term="ep">EP</Explain> vs <Explain term="iep">iEP</Explain>
          </span>
        </h2>
        {runConfig && (
          <p className="run-config" data-testid="run-config">
            {remote && <span className="remote-badge">remote</span>}
            {runConfig.model} ×{runConfig.width} · target p {runConfig.targetPruningRate} (kept{' '}
            {((1 - runConfig.targetPruningRate) * 100).toFixed(1)}%) · {runConfig.epochs} epochs · batch{' '}
            {runConfig.batchSize} · {runConfig.budget} · seed {runConfig.seed}{' '}
            {mode === 'recorded' && (
              <button type="button" className="link" onClick={() => setConfig(runConfig)} data-testid="use-setup">
                use this setup
              </button>
            )}
          </p>
        )}
        <button
          type="button"
          className="talk-toggle"
          onClick={toggleTalk}
          data-testid="talk-toggle"
          title="Talk mode (T)"
        >
          {talkMode ? 'Leave talk mode' : 'Talk mode'}
        </button>
      </header>
      {notices.map((notice) => (
        <p key={notice} className="notice" role="status" data-testid="studio-notice">
          {notice}{' '}
          <button type="button" className="link" onClick={() => dismissNotice(notice)}>
            dismiss
          </button>
        </p>
      ))}
      <RunError />
      <div className="studio-top">
        <SetupPanel locked={locked} />
        <div className="studio-top-right">
          <Controls />
          <Timeline />
          <div ref={chartsRef} className="shared-wrap">
            <SharedChart steps={scales.steps} />
          </div>
        </div>
      </div>
      <UsageLegend />
      <div className="columns">
        <RunColumn run="ep" scales={scales} />
        <RunColumn run="iep" scales={scales} />
      </div>
      <Library chartsRoot={() => chartsRef.current} />
      <EnlargedLayer />
      {talkMode && <p className="talk-keys">space play/pause · ← → scrub · T leave talk mode</p>}
    </div>
  );
}
