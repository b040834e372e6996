// The recorded studies: published run files under public/studies and the manifest that lists them (studies.json).
// scripts/studies.ts writes the manifest from the records themselves, the studio reads it (studies.ts), and the
// service worker caches the files it names; all three read it through this module, which needs no store and no DOM.
import type { RunRecord } from '../protocol/report';
import type { ComparisonConfig, IepConfig } from '../protocol/config';

/** The folder the app serves the run files from, relative to the app's base. */
export const STUDIES_DIR = 'studies';
export const STUDIES_MANIFEST = `${STUDIES_DIR}/studies.json`;
/** The Cache Storage cache the service worker keeps opened studies in (and the page asks what is offline). */
export const STUDY_CACHE = 'supermask-studies';
export const STUDIES_FORMAT = 'supermask-studio/studies';

export type StudyKind = 'compare' | 'case' | 'schedules';

export interface StudyFile {
  /** The file's name under studies/. */
  name: string;
  bytes: number;
  /** Its SHA-256: the URL carries it, so a re-made file is fetched anew instead of served from an old copy. */
  sha256: string;
  /** The record's runs to show; all when absent (the case study takes only EP from the comparison at its k). */
  runs?: string[];
  /** Labels to show in place of the record's, by run id (the case study names each run by its k). */
  labels?: Record<string, string>;
}

export interface Study {
  id: string;
  kind: StudyKind;
  title: string;
  /** One line: what ran, on what, and how it opens. */
  caption: string;
  /** The first is replayed; the rest are laid over its chart as overlays. */
  files: StudyFile[];
  bytes: number;
}

export interface StudiesManifest {
  format: typeof STUDIES_FORMAT;
  version: 1;
  studies: Study[];
}

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function checkFile(x: unknown, at: string): StudyFile {
  if (!isObj(x) || typeof x.name !== 'string' || !/^[\w.-]+\.json$/.test(x.name)) {
    throw new Error(`${at} has no file name ending in .json`);
  }
  if (typeof x.bytes !== 'number' || !(x.bytes > 0)) throw new Error(`${at} (${x.name}) has no size`);
  if (typeof x.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(x.sha256)) {
    throw new Error(`${at} (${x.name}) has no SHA-256`);
  }
  return x as unknown as StudyFile;
}

/** Checks what the studio fetched as studies.json; throws an Error that says what is wrong. */
export function parseStudiesManifest(x: unknown): StudiesManifest {
  if (!isObj(x) || x.format !== STUDIES_FORMAT || x.version !== 1 || !Array.isArray(x.studies)) {
    throw new Error(`the list of studies is not a "${STUDIES_FORMAT}" manifest, version 1`);
  }
  x.studies.forEach((s: unknown, i) => {
    const at = `study ${i + 1}`;
    if (!isObj(s) || typeof s.id !== 'string' || typeof s.title !== 'string' || typeof s.caption !== 'string') {
      throw new Error(`${at} has no id, title or caption`);
    }
    if (!Array.isArray(s.files) || s.files.length === 0) throw new Error(`${at} (${s.id}) lists no file`);
    s.files.forEach((f: unknown, j) => checkFile(f, `${at} (${s.id}), file ${j + 1}`));
  });
  return x as unknown as StudiesManifest;
}

/** The file's address relative to the app's base, its content hash in the query. */
export function studyFileUrl(file: StudyFile): string {
  return `${STUDIES_DIR}/${encodeURIComponent(file.name)}?v=${file.sha256.slice(0, 16)}`;
}

/** The record as the study shows it: only the runs it names, under its labels (the record itself is unchanged). */
export function shownRecord(record: RunRecord, file: StudyFile): RunRecord {
  const keep = (run: string) => !file.runs || file.runs.includes(run);
  const runs = record.config.runs
    .filter((r) => keep(r.id))
    .map((r) => ({ ...r, label: file.labels?.[r.id] ?? r.label }));
  if (runs.length === 0) throw new Error(`${file.name} has none of the runs ${file.runs?.join(', ')}`);
  return {
    ...record,
    config: { ...record.config, runs },
    reports: record.reports.filter((r) => keep(r.run)),
    evals: record.evals.filter((e) => keep(e.run)),
  };
}

/** Sizes in the unit people read them in: "4.7 MB". */
export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

const SCHEDULE_NAMES: Record<IepConfig['schedule'], string> = {
  geometric: 'p_c = 1 − 0.8^c',
  linear: 'linear',
  'one-shot': 'one-shot',
  custom: 'own schedule',
};

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** The runs by their labels, with what their iEP runs share (variant, cycles, and the schedule of a single one). */
function runsPhrase(config: ComparisonConfig): string {
  const ieps = config.runs.flatMap((r) => (r.method === 'iep' ? [r.iep] : []));
  const shared = unique(ieps.map((c) => `${c.variant}, ${plural(c.cycles, 'cycle')}`));
  const labels = config.runs.map((r) => r.label).join(' vs ');
  if (shared.length !== 1) return labels;
  return ieps.length === 1
    ? `${labels} (${shared[0]}, ${SCHEDULE_NAMES[ieps[0].schedule]})`
    : `${labels} (each iEP ${shared[0]})`;
}

function setupPhrase(config: ComparisonConfig): string {
  const data =
    config.dataset === 'cifar10' && config.trainLimit === null
      ? 'the full CIFAR-10'
      : `${config.dataset}${config.trainLimit === null ? '' : ` (first ${config.trainLimit} images)`}`;
  return `${config.model} ×${config.width} on ${data}, batch ${config.batchSize}, seed ${config.seed}`;
}

function epochsPhrase(epochs: number): string {
  return plural(epochs, 'epoch');
}

/** The steps the record's runs took (equal compute: the same for each; the first run's otherwise). */
function stepsOf(record: RunRecord): number {
  return record.reports.at(-1)?.totalSteps ?? 0;
}

function finalAccuracies(record: RunRecord): string {
  const parts = record.config.runs.flatMap((run) => {
    const final = record.evals.find((e) => e.run === run.id && e.reason === 'final');
    return final ? [`${run.label} ${(final.testAccuracy * 100).toFixed(1)} %`] : [];
  });
  return parts.length ? ` Final test accuracy: ${parts.join(', ')}.` : '';
}

/**
 * A study's title and one-line caption, from its records as shown (shownRecord): what ran, the budget, the net and
 * the data, the seed, and for several files how the studio opens them.
 */
export function describeStudy(kind: StudyKind, records: RunRecord[]): { title: string; caption: string } {
  const first = records[0];
  const c = first.config;
  const budget = c.budget === 'equal-compute' ? 'equal compute' : 'full cycles';
  const steps = `${stepsOf(first).toLocaleString('en-US')} steps${c.budget === 'equal-compute' && c.runs.length > 1 ? ' each' : ''}`;
  if (kind === 'case') {
    const ks = records.map((r) => r.config.targetPruningRate);
    return {
      title: `Case study: EP at ${ks.length} pruning rates, ${epochsPhrase(c.epochs)}`,
      caption:
        `EP alone at k = ${[...ks].sort((a, b) => a - b).join(', ')} (${steps}, ${epochsPhrase(c.epochs)}), ` +
        `${setupPhrase(c)}. Opens k = ${ks[0]} for replay, the other ${records.length - 1} as overlays on its ` +
        'chart: their dying ratios against k.',
    };
  }
  const title =
    kind === 'schedules'
      ? `Schedule comparison at ${epochsPhrase(c.epochs)}`
      : `EP vs iEP at ${epochsPhrase(c.epochs)}`;
  return {
    title,
    caption:
      `${runsPhrase(c)} at ${budget}: ${steps} (${epochsPhrase(c.epochs)} of EP's), ${setupPhrase(c)}.` +
      finalAccuracies(first),
  };
}
