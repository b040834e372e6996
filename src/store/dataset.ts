// The dataset slice: which datasets exist, the one loaded (raw bytes, per-class counts), loading and errors.
// A failed load (a corrupt dropped file, a missing server file) sets datasetError and keeps the loaded dataset.
import type { StateCreator } from 'zustand';
import type { StoreState } from './index';
import { DatasetError } from '../data/cifar';
import { fetchDataset, fetchDatasetList, type DatasetOption, type LoadedDataset } from '../data/load';
import { parseDroppedFileOffThread } from '../data/parseOffThread';
import type { DatasetPayload } from '../protocol/messages';
import { isWorkerOnly } from '../protocol/config';

export type { DatasetOption, LoadedDataset };

export const DEFAULT_DATASET = 'cifar10-subset';

export interface DatasetSlice {
  /** The entries of data/datasets.json. */
  datasets: DatasetOption[];
  dataset: LoadedDataset | null;
  /** What is being loaded (a dataset or file name), null when idle. */
  datasetLoading: string | null;
  datasetError: string | null;
  /** The engine worker could not start or pick a backend (the backend itself lives in the studio slice). */
  backendError: string | null;

  /** Reads datasets.json and loads the dataset the setup names (else the default); once, however often called. */
  initDatasets: () => Promise<void>;
  selectDataset: (id: string) => Promise<void>;
  loadDatasetFile: (file: File) => Promise<void>;
  clearDatasetError: () => void;
  setBackendError: (message: string | null) => void;
  /** The data the engine needs for a config naming `id`; loads it first if another dataset is on screen. */
  datasetPayload: (id: string) => Promise<DatasetPayload | undefined>;
}

function message(e: unknown): string {
  if (e instanceof DatasetError) return e.message;
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** Each load gets a number; only the newest may land, so a slow earlier load never overwrites a later choice. */
let loadCounter = 0;
let initialising: Promise<void> | null = null;

export const createDatasetSlice: StateCreator<StoreState, [], [], DatasetSlice> = (set, get) => {
  async function load(label: string, run: () => Promise<LoadedDataset>): Promise<void> {
    const ticket = ++loadCounter;
    set({ datasetLoading: label, datasetError: null });
    try {
      const dataset = await run();
      if (ticket !== loadCounter) return;
      set({ dataset, datasetLoading: null });
      // The setup names the dataset it runs on, so a recorded run says which one it was; a worker-only net's
      // dataset is the worker's, whatever this page has loaded.
      const s = get();
      if (s.config.dataset !== dataset.id && !isWorkerOnly(s.config.model)) {
        s.setConfig({ ...s.config, dataset: dataset.id });
      }
    } catch (e) {
      if (ticket !== loadCounter) return;
      set({ datasetError: `${label}: ${message(e)}`, datasetLoading: null });
    }
  }

  async function init(): Promise<void> {
    try {
      const datasets = await fetchDatasetList();
      set({ datasets });
      // A shared link may name a dataset: load that one when it is here, else the bundled subset.
      const wanted = get().config.dataset;
      const pick =
        datasets.find((d) => d.id === wanted && d.available) ??
        datasets.find((d) => d.id === DEFAULT_DATASET && d.available) ??
        datasets.find((d) => d.available);
      if (!pick) {
        set({ datasetError: 'No dataset is available on the server; drop cifar-10-binary.tar.gz here.' });
        return;
      }
      if (pick.id !== wanted && !isWorkerOnly(get().config.model)) {
        get().addNotice(`The setup names the dataset '${wanted}', which is not available here; using ${pick.name}.`);
      }
      await get().selectDataset(pick.id);
    } catch (e) {
      set({ datasetError: `The dataset list could not be read: ${message(e)}` });
    }
  }

  return {
    datasets: [],
    dataset: null,
    datasetLoading: null,
    datasetError: null,
    backendError: null,

    initDatasets: () => (initialising ??= init()),

    selectDataset: async (id) => {
      const entry = get().datasets.find((d) => d.id === id);
      if (!entry) {
        set({ datasetError: `Unknown dataset '${id}'` });
        return;
      }
      if (!entry.available) {
        set({ datasetError: `${entry.name} is not installed here: run npm run data:cifar10, then reload.` });
        return;
      }
      await load(entry.name, () => fetchDataset(entry));
    },

    // Parsed in a worker: the full archive takes seconds, and the page stays responsive (showing 'Loading') meanwhile.
    loadDatasetFile: (file) => load(file.name, () => parseDroppedFileOffThread(file)),

    clearDatasetError: () => set({ datasetError: null }),
    setBackendError: (backendError) => set({ backendError }),

    datasetPayload: async (id) => {
      if (get().dataset?.id !== id) {
        await get().selectDataset(id);
        const error = get().datasetError;
        if (get().dataset?.id !== id) throw new DatasetError(error ?? `dataset '${id}' is not loaded`);
      }
      const d = get().dataset!;
      // Sent without a transfer list: the worker gets a copy and the page keeps its own for the grid and counts.
      return {
        id: d.id,
        classNames: d.classNames,
        trainImages: d.train.images,
        trainLabels: d.train.labels,
        testImages: d.test.images,
        testLabels: d.test.labels,
      };
    },
  };
};
