// The studio: EP and iEP side by side from the same random weights. The setup beside the controls and the shared
// chart, then one column per search on the same scales; recorded studies and runs at the bottom. While a run of this
// tab is on screen the setup folds away (a button opens it) and the chart and the scoreboard share the first screen
// with the controls. Talk mode hides the controls and enlarges the type.
import { useEffect, useRef, useState } from 'react';
import * as d3 from 'd3';
import { useStore } from '../../store';
import { continueStored } from '../../store/library';
import { estimateSteps } from '../../store/schedule';
import { lastStep } from '../../store/series';
import type { ComparisonConfig, RunId } from '../../protocol/config';
import { useRunLooks } from './colors';
import { PanelBoundary } from '../PanelBoundary';
import { Controls } from './Controls';
import { DifferenceView } from './DifferenceView';
import { EnlargedLayer } from './EnlargedLayer';
import { Explain } from './Explain';
import { Library } from './Library';
import { RecordedStudies } from './RecordedStudies';
import { RunError } from './RunError';
import { RunColumn, type SharedScales } from './RunColumn';
import { Scoreboard } from './Scoreboard';
import { SetupPanel } from './SetupPanel';
import { SharedChart } from './SharedChart';
import { Timeline } from './Timeline';
import { UsageLegend } from './UsageLegend';
import { WorkerPanel } from './WorkerPanel';
import { startStudio } from './studioSetup';
import { toggleTalk, useStudioKeys } from './useStudioKeys';
import { TileShareContext, useTileShare } from './tileFit';
import './studio.css';

function useSharedScales(): SharedScales {
  const series = useStore((s) => s.series);
  const totals = useStore((s) => s.comparison?.totalSteps ?? null);
  const config = useStore((s) => s.comparison?.config ?? s.config);
  const configError = useStore((s) => (s.comparison ? null : s.configError));
  const trainImages = useStore((s) => s.datasets.find((d) => d.id === config.dataset)?.train);
  // Nothing is estimated from fields out of range (a typed 1e308 epochs would draw an axis of 1e308 steps).
  const estimated = configError === null ? estimateSteps(config, trainImages) : null;
  const planned = Object.values(totals ?? estimated ?? {});
  const steps = Math.max(1, lastStep(series), ...planned);
  const maxLoss =
    d3.max(
      Object.values(series).flatMap((r) => r.reports),
      (r) => r.loss,
    ) ?? 2.5;
  // Rounded up to half units so the axis only moves when the loss really outgrows it.
  return { steps, lossMax: Math.max(2.5, Math.ceil(maxLoss * 2) / 2) };
}

/** The running comparison's setup in one line (the full line is its tooltip where the column cuts it). */
function describe(c: ComparisonConfig): string {
  return (
    `${c.runs.map((r) => r.label).join(' · ')} — ${c.model} ×${c.width} · target p ${c.targetPruningRate} ` +
    `(kept ${((1 - c.targetPruningRate) * 100).toFixed(1)}%) · ${c.epochs} epochs · batch ${c.batchSize} · ` +
    `${c.budget} · seed ${c.seed}`
  );
}

/** The run on screen, when it is a stored run cut short that can go on from its stored snapshot. */
function useContinuable(): { id: string; steps: Record<RunId, number> } | null {
  const meta = useStore((s) =>
    s.mode === 'recorded'
      ? s.storedRuns.find((r) => r.id === s.comparison?.id && r.status === 'interrupted')
      : undefined,
  );
  return meta?.snapshotSteps ? { id: meta.id, steps: meta.snapshotSteps } : null;
}

export function Studio() {
  const talkMode = useStore((s) => s.talkMode);
  const mode = useStore((s) => s.mode);
  const state = useStore((s) => s.runnerState);
  const notices = useStore((s) => s.notices);
  const dismissNotice = useStore((s) => s.dismissNotice);
  const setConfig = useStore((s) => s.setConfig);
  const runConfig = useStore((s) => s.comparison?.config ?? null);
  const continuable = useContinuable();
  const remote = useStore((s) => s.comparison?.source === 'remote');
  const scales = useSharedScales();
  const looks = useRunLooks();
  const tiles = useTileShare();
  const chartsRef = useRef<HTMLDivElement>(null);
  useEffect(() => startStudio(), []);
  useStudioKeys();

  const locked = mode === 'live' && ['idle', 'ready', 'running', 'paused'].includes(state);
  // A run of this tab on screen needs the width more than its setup does (the setup stays one click away, and
  // comes back by itself when the run is reset or fails). Opening it holds for this comparison only.
  const comparisonId = useStore((s) => s.comparison?.id ?? null);
  const [openFor, setOpenFor] = useState<string | null>(null);
  const foldable = mode === 'live' && state !== 'error' && comparisonId !== null;
  const folded = foldable && openFor !== comparisonId;

  return (
    <div
      className={`studio${talkMode ? ' talk' : ''}${folded ? ' folded' : ''}`}
      data-testid="studio"
      data-talk={talkMode}
      data-setup={folded ? 'folded' : 'open'}
    >
      {notices.map((notice) => (
        <p key={notice} className="notice" role="status" data-testid="studio-notice">
          {notice}{' '}
          <button type="button" className="link" onClick={() => dismissNotice(notice)}>
            dismiss
          </button>
        </p>
      ))}
      <RunError />
      <div className="studio-body">
        {/* Where the setup was drawn from a config no panel can draw, the page still has its way back. */}
        <div className="studio-side" id="studio-setup" hidden={folded}>
          <h2 className="studio-title">
            Studio{' '}
            <span className="studio-sub">
              <Explain term="supermask">supermask</Explain> search: each layer keeps its{' '}
              <Explain term="topk">top-k</Explain> edges by <Explain term="score">score</Explain>;{' '}
              <Explain term="ep">EP</Explain> vs <Explain term="iep">iEP</Explain>
            </span>
          </h2>
          <PanelBoundary name="The setup">
            <SetupPanel locked={locked} />
          </PanelBoundary>
          <PanelBoundary name="The worker">
            <WorkerPanel />
          </PanelBoundary>
        </div>
        <div className="studio-main">
          <div className="studio-top">
            <div className="studio-top-left">
              <header className="studio-head">
                {foldable && (
                  <button
                    type="button"
                    className="setup-toggle"
                    data-testid="setup-toggle"
                    aria-expanded={!folded}
                    aria-controls="studio-setup"
                    onClick={() => setOpenFor(folded ? comparisonId : null)}
                  >
                    {folded ? 'Show the setup' : 'Hide the setup'}
                  </button>
                )}
                {runConfig ? (
                  <>
                    <p className="run-config" data-testid="run-config" title={describe(runConfig)}>
                      {remote && <span className="remote-badge">remote</span>}
                      {describe(runConfig)}
                    </p>
                    {mode === 'recorded' && (
                      <button
                        type="button"
                        className="link"
                        onClick={() => setConfig(runConfig)}
                        data-testid="use-setup"
                      >
                        use this setup
                      </button>
                    )}
                    {continuable && (
                      <button
                        type="button"
                        className="link"
                        onClick={() => void continueStored(continuable.id)}
                        data-testid="continue-run"
                        title="This run was cut short when its page closed: go on training it from its last snapshot"
                      >
                        continue from step {Object.values(continuable.steps).join(' / ')}
                      </button>
                    )}
                  </>
                ) : (
                  <p className="run-config muted">Set up on the left, then Start.</p>
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
              <PanelBoundary name="The controls">
                <Controls />
              </PanelBoundary>
              <UsageLegend />
            </div>
            <div className="studio-top-right">
              <div ref={chartsRef} className="shared-wrap">
                <PanelBoundary name="The EP vs iEP chart">
                  <SharedChart steps={scales.steps} />
                </PanelBoundary>
              </div>
              {/* Under the chart on stage, beside it at the desk: the numbers that show the effect, on the first
                  screen. It keeps its place (dashes) from Start to the first report, so nothing below it moves. */}
              <PanelBoundary name="The scoreboard">
                {talkMode ? (
                  <Scoreboard />
                ) : (
                  <section className="panel scoreboard-panel">
                    <Scoreboard />
                  </section>
                )}
              </PanelBoundary>
              <PanelBoundary name="The timeline">
                <Timeline />
              </PanelBoundary>
            </div>
          </div>
          <div className={`columns${looks.length > 2 ? ' compact' : ''}`} data-runs={looks.length}>
            <TileShareContext.Provider value={tiles}>
              {looks.map((look) => (
                <PanelBoundary key={look.id} name={`The ${look.label} column`}>
                  <RunColumn look={look} scales={scales} />
                </PanelBoundary>
              ))}
            </TileShareContext.Provider>
          </div>
        </div>
      </div>
      {!talkMode && (
        <PanelBoundary name="The difference view">
          <DifferenceView />
        </PanelBoundary>
      )}
      <PanelBoundary name="The recorded studies">
        <RecordedStudies />
      </PanelBoundary>
      <PanelBoundary name="The recorded runs">
        <Library chartsRoot={() => chartsRef.current} />
      </PanelBoundary>
      <EnlargedLayer />
      {talkMode && (
        <p className="talk-keys" data-testid="talk-keys">
          space play/pause · ← → scrub · T leave talk mode
        </p>
      )}
    </div>
  );
}
