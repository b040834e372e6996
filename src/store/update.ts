// A new version of the app, installed by the service worker and waiting: the page offers it, the user applies it.
import type { StateCreator } from 'zustand';
import type { StoreState } from './index';

export interface UpdateSlice {
  /** Set while a new version waits: activates it and reloads the page. Null when there is nothing to offer. */
  pendingUpdate: (() => void) | null;
  offerUpdate: (apply: () => void) => void;
}

export const createUpdateSlice: StateCreator<StoreState, [], [], UpdateSlice> = (set) => ({
  pendingUpdate: null,
  offerUpdate: (apply) => set({ pendingUpdate: apply }),
});

/** A run that a reload would cut short: an update, or the isolation reload, waits until it is over. */
export function isRunLive(s: Pick<StoreState, 'runnerState'>): boolean {
  return s.runnerState === 'running' || s.runnerState === 'paused';
}
