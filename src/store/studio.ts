import type { StateCreator } from 'zustand';
import type { StoreState } from './index';

// Placeholder: the studio work fills this slice (config, runs, report series, UI state).
export interface StudioSlice {
  talkMode: boolean;
}

export const createStudioSlice: StateCreator<StoreState, [], [], StudioSlice> = () => ({
  talkMode: false,
});
