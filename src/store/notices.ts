// A notice that is true only for a while: "recovered, shown as recorded" holds while that recorded run is on screen,
// "a run is live in another tab" while one is. Such a notice goes by itself once what it says stops being so, as
// well as on dismiss; a stale one would send the reader to a Continue that is gone or a tab that is closed.
import { useStore, type StoreState } from './index';

/** Adds `notice` and takes it away at the first store change after which `holds` is false. */
export function noticeWhile(notice: string, holds: (s: StoreState) => boolean): void {
  useStore.getState().addNotice(notice);
  const unsubscribe = useStore.subscribe((s) => {
    if (!s.notices.includes(notice)) unsubscribe();
    else if (!holds(s)) {
      unsubscribe();
      s.dismissNotice(notice);
    }
  });
}

/** A notice about the recorded run `id` on screen holds until it is continued (goes live) or another run is shown. */
export const whileRecordedOnScreen =
  (id: string) =>
  (s: StoreState): boolean =>
    s.mode === 'recorded' && s.comparison?.id === id;

/** A notice about runs live in other tabs holds while one is: their tabs closing or the runs ending there end it. */
export const whileLiveElsewhere = (s: StoreState): boolean => s.runsLiveElsewhere.length > 0;
