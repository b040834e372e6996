// The one store. Each slice owns one concern; views read with selectors and call actions, never touch tensors.
import { create } from 'zustand';
import { createBackendChoiceSlice, type BackendChoiceSlice } from './backendChoice';
import { createDatasetSlice, type DatasetSlice } from './dataset';
import { createOverlaySlice, type OverlaySlice } from './overlays';
import { createRemoteSlice, type RemoteSlice } from './remote';
import { createStudioSlice, type StudioSlice } from './studio';
import { createStudiesSlice, type StudiesSlice } from './studiesSlice';
import { createUpdateSlice, type UpdateSlice } from './update';

export type StoreState = DatasetSlice &
  StudioSlice &
  UpdateSlice &
  BackendChoiceSlice &
  OverlaySlice &
  RemoteSlice &
  StudiesSlice;

export const useStore = create<StoreState>()((...a) => ({
  ...createDatasetSlice(...a),
  ...createStudioSlice(...a),
  ...createUpdateSlice(...a),
  ...createBackendChoiceSlice(...a),
  ...createOverlaySlice(...a),
  ...createRemoteSlice(...a),
  ...createStudiesSlice(...a),
}));
