// npm run studies [-- --records DIR] [--refresh]
// Writes public/studies/studies.json, the studio's "Recorded studies" list, from the run files themselves: each
// study's files with their sizes and SHA-256, a title and a one-line caption made from the records' configs and final
// evaluations. Which files make the studies:
// - EP vs iEP at each budget: compare-e<B>-s1.json, one study per budget B;
// - the case study: at the largest budget whose case-k<k>-e<B>-s1.json are all there, EP at every k, the k = 0.832
//   run being the comparison's EP (compare-e<B>-s1.json shown without its iEP run);
// - the schedule comparison: schedules-*.json (a worker run of the studio's "schedule study" preset).
// Records of `npm run fidelity` (results/fidelity/records, or --records DIR) that public/studies lacks are copied in;
// --refresh also replaces the copies already there (after the study re-ran them). Re-run after new runs finish.
import { copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseRunFile } from '../src/store/runFiles';
import {
  describeStudy,
  megabytes,
  shownRecord,
  STUDIES_FORMAT,
  type StudiesManifest,
  type Study,
  type StudyFile,
  type StudyKind,
} from '../src/store/studyManifest';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
export const STUDIES_OUT = join(ROOT, 'public', 'studies');
export const MANIFEST_NAME = 'studies.json';
const RECORDS = join(ROOT, 'results', 'fidelity', 'records');

/** The case study's pruning rates, k = 1 − 0.8^c for c = 1..8, as worker/supermask_worker/fidelity.py names them. */
export const CASE_KS = Array.from({ length: 8 }, (_, c) => Number((1 - 0.8 ** (c + 1)).toFixed(3)));
const TARGET = CASE_KS[CASE_KS.length - 1];
const SEED = 1;

interface PlannedStudy {
  id: string;
  kind: StudyKind;
  files: Omit<StudyFile, 'bytes' | 'sha256'>[];
}

const byNumber = (a: number, b: number) => a - b;

/** Which of the available run files make which study, in the list's order: case study, comparisons, schedules. */
export function planStudies(names: string[]): PlannedStudy[] {
  const have = new Set(names);
  const budgets = names
    .map((n) => new RegExp(`^compare-e([\\d.]+)-s${SEED}\\.json$`).exec(n))
    .flatMap((m) => (m ? [Number(m[1])] : []))
    .sort(byNumber);
  const caseName = (k: number, b: number) => `case-k${k}-e${b}-s${SEED}.json`;
  const compareName = (b: number) => `compare-e${b}-s${SEED}.json`;
  const caseBudget = budgets.filter((b) => CASE_KS.every((k) => k === TARGET || have.has(caseName(k, b)))).at(-1);
  const studies: PlannedStudy[] = [];
  if (caseBudget !== undefined) {
    studies.push({
      id: `case-e${caseBudget}`,
      kind: 'case',
      // The target k first: it is replayed, the others are laid over its chart.
      files: [TARGET, ...CASE_KS.filter((k) => k !== TARGET)].map((k) =>
        k === TARGET
          ? { name: compareName(caseBudget), runs: ['ep'], labels: { ep: `EP k ${k}` } }
          : { name: caseName(k, caseBudget), labels: { ep: `EP k ${k}` } },
      ),
    });
  }
  for (const b of budgets) studies.push({ id: `compare-e${b}`, kind: 'compare', files: [{ name: compareName(b) }] });
  for (const name of names.filter((n) => /^schedules-[\w.-]+\.json$/.test(n)).sort()) {
    studies.push({ id: name.replace(/\.json$/, ''), kind: 'schedules', files: [{ name }] });
  }
  return studies;
}

function jsonFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.json') && n !== MANIFEST_NAME) : [];
}

/** The manifest for the run files in `dir`, each read and checked as the studio's import checks it. */
export function makeManifest(dir: string, plan = planStudies(jsonFiles(dir))): StudiesManifest {
  const studies: Study[] = plan.map((planned) => {
    const files: StudyFile[] = [];
    const shown = planned.files.map((f) => {
      const bytes = readFileSync(join(dir, f.name));
      const file: StudyFile = { ...f, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
      files.push(file);
      return shownRecord(parseRunFile(bytes.toString('utf8'), f.name), file);
    });
    return {
      id: planned.id,
      kind: planned.kind,
      ...describeStudy(planned.kind, shown),
      files,
      bytes: files.reduce((sum, f) => sum + f.bytes, 0),
    };
  });
  return { format: STUDIES_FORMAT, version: 1, studies };
}

function main(): void {
  const { values } = parseArgs({
    options: { records: { type: 'string', default: RECORDS }, refresh: { type: 'boolean', default: false } },
  });
  const records = resolve(values.records);
  const fromRecords = jsonFiles(records);
  const plan = planStudies([...new Set([...jsonFiles(STUDIES_OUT), ...fromRecords])]);
  for (const name of new Set(plan.flatMap((s) => s.files.map((f) => f.name)))) {
    const here = existsSync(join(STUDIES_OUT, name));
    if (fromRecords.includes(name) && (!here || values.refresh)) {
      copyFileSync(join(records, name), join(STUDIES_OUT, name));
      console.log(`copied ${name} from ${records}`);
    }
  }
  const manifest = makeManifest(STUDIES_OUT, plan);
  writeFileSync(join(STUDIES_OUT, MANIFEST_NAME), JSON.stringify(manifest, null, 2) + '\n');
  for (const s of manifest.studies)
    console.log(`${s.id}: ${s.files.length} file(s), ${megabytes(s.bytes)} — ${s.title}`);
  const listed = new Set(manifest.studies.flatMap((s) => s.files.map((f) => f.name)));
  const unlisted = jsonFiles(STUDIES_OUT).filter((n) => !listed.has(n));
  if (unlisted.length) console.log(`in ${STUDIES_OUT} but in no study (served, not listed): ${unlisted.join(', ')}`);
  const total = [...listed].reduce((sum, n) => sum + readFileSync(join(STUDIES_OUT, n)).length, 0);
  console.log(`wrote ${join(STUDIES_OUT, MANIFEST_NAME)}: ${manifest.studies.length} studies, ${megabytes(total)}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (e) {
    console.error(`studies failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
