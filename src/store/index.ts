// The one store. Each slice owns one concern; views read with selectors and call actions, never touch tensors.
import { create } from 'zustand';
import { createBackendChoiceSlice, type BackendChoiceSlice } from './backendChoice';
import { createDatasetSlice, type DatasetSlice } from './dataset';
import { createStudioSlice, type StudioSlice } from './studio';

export type StoreState = DatasetSlice & StudioSlice & BackendChoiceSlice;

export const useStore = create<StoreState>()((...a) => ({
  ...createDatasetSlice(...a),
  ...createStudioSlice(...a),
  ...createBackendChoiceSlice(...a),
}));
