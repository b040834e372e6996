// The recorded studies the app serves (public/studies): the list, which of them this browser holds for offline
// use, and what opening one is doing. One concern: what the list shows; fetching and opening are studies.ts's.
import type { StateCreator } from 'zustand';
import type { StoreState } from './index';
import type { Study } from './studyManifest';

export interface StudiesState {
  /** The manifest's studies; null until it has been read. */
  studies: Study[] | null;
  /** Why the list could not be read, in words; null when it was. */
  studiesError: string | null;
  /** By study id: every file of the study is in the service worker's cache, so it opens offline. */
  studiesOffline: Record<string, boolean>;
  /** The study being fetched and opened right now. */
  studyOpening: string | null;
  /** The last study that could not be opened, and why; what was on screen stays. */
  studyError: { id: string; message: string } | null;
  /** The study on screen: its id and the id of the record replayed (the list marks it while that is shown). */
  studyShown: { id: string; recordId: string } | null;
}

export interface StudiesSlice extends StudiesState {
  setStudies: (patch: Partial<StudiesState>) => void;
}

export const initialStudies: StudiesState = {
  studies: null,
  studiesError: null,
  studiesOffline: {},
  studyOpening: null,
  studyError: null,
  studyShown: null,
};

export const createStudiesSlice: StateCreator<StoreState, [], [], StudiesSlice> = (set) => ({
  ...initialStudies,
  setStudies: (patch) => set(patch),
});
