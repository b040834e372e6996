// Recorded studies: the published run files (the case study, EP vs iEP at each budget, the schedule comparison), each
// opened for replay with one click, at the desk or straight into talk mode. Each row says the study's size and
// whether this browser holds it for offline use; a study that cannot be opened says why in its row.
import { useEffect } from 'react';
import { useStore } from '../../store';
import { loadStudies, openStudy } from '../../store/studies';
import { megabytes, type Study } from '../../store/studyManifest';
import { toggleTalk } from './useStudioKeys';

async function open(id: string, talk: boolean): Promise<void> {
  if ((await openStudy(id)) && talk && !useStore.getState().talkMode) toggleTalk();
}

function size(study: Study): string {
  return study.files.length > 1 ? `${megabytes(study.bytes)} in ${study.files.length} files` : megabytes(study.bytes);
}

export function RecordedStudies() {
  const studies = useStore((s) => s.studies);
  const listError = useStore((s) => s.studiesError);
  const offline = useStore((s) => s.studiesOffline);
  const opening = useStore((s) => s.studyOpening);
  const failed = useStore((s) => s.studyError);
  // Marked while its replayed record is the one on screen (a Start or another run ends that).
  const shownId = useStore((s) =>
    s.mode === 'recorded' && s.studyShown && s.comparison?.id === s.studyShown.recordId ? s.studyShown.id : null,
  );
  useEffect(() => void loadStudies(), []);

  return (
    <section className="studies panel" aria-labelledby="studies-title" data-testid="studies">
      <h2 id="studies-title">Recorded studies</h2>
      <p className="muted studies-about">
        Runs of the PyTorch worker on the full CIFAR-10 (docs/results.md): open one to replay it, or to show it in talk
        mode. A study opened once stays on this device for offline use.
      </p>
      {listError && (
        <p className="library-error" role="alert" data-testid="studies-error">
          {listError}
        </p>
      )}
      {studies === null && !listError && <p className="muted">Reading the list of studies…</p>}
      <ul className="study-list" data-testid="study-list">
        {studies?.length === 0 && <li className="muted">No recorded study is published with this copy.</li>}
        {studies?.map((study) => (
          <li
            key={study.id}
            data-study-id={study.id}
            data-offline={offline[study.id] ? 'yes' : 'no'}
            className={study.id === shownId ? 'current' : undefined}
            aria-current={study.id === shownId ? 'true' : undefined}
          >
            <div className="study-head">
              <button
                type="button"
                className="link study-open"
                disabled={opening !== null}
                aria-describedby={`study-caption-${study.id}`}
                onClick={() => void open(study.id, false)}
                data-testid="study-open"
              >
                {study.title}
              </button>
              <button
                type="button"
                className="link"
                disabled={opening !== null}
                aria-label={`${study.title}, in talk mode`}
                onClick={() => void open(study.id, true)}
                data-testid="study-talk"
              >
                in talk mode
              </button>
              <span className="muted" data-testid="study-size">
                {size(study)}
              </span>
              <span className="study-offline" data-testid="study-offline">
                {offline[study.id] ? 'available offline' : 'online only until opened once'}
              </span>
              {opening === study.id && (
                <span role="status" data-testid="study-opening">
                  opening…
                </span>
              )}
            </div>
            <p className="study-caption" id={`study-caption-${study.id}`}>
              {study.caption}
            </p>
            {failed?.id === study.id && (
              <p className="library-error" role="alert" data-testid="study-error">
                “{study.title}” could not be opened: {failed.message}. Nothing on screen or in the library changed.
              </p>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
