import type { StateCreator } from 'zustand';
import type { StoreState } from './index';

// Placeholder: the foundation work fills this slice (loaded dataset, errors, backend).
export interface DatasetSlice {
  datasetError: string | null;
}

export const createDatasetSlice: StateCreator<StoreState, [], [], DatasetSlice> = () => ({
  datasetError: null,
});
