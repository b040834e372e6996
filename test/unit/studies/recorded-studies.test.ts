// The studio's "Recorded studies" list (public/studies): the manifest is what `npm run studies` makes from the files
// there (every listed file exists, passes the run-file schema, and has the size and hash listed), and every study
// opens the way the list opens it (fetched, checked, shown, the rest overlaid) and replays from its first report to its
// last. Opening a file that cannot be fetched or read says why and leaves the screen as it was.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { useStore } from '../../../src/store/index';
import { initialStudies } from '../../../src/store/studiesSlice';
import { loadStudies, openStudy } from '../../../src/store/studies';
import { parseStudiesManifest, shownRecord, type StudiesManifest } from '../../../src/store/studyManifest';
import { parseRunFile } from '../../../src/store/runFiles';
import { reportAt, reportSteps, seriesOf } from '../../../src/store/series';
import { CASE_KS, makeManifest, MANIFEST_NAME, planStudies, STUDIES_OUT } from '../../../scripts/studies';
import type { RunRecord } from '../../../src/protocol/report';

const committed = JSON.parse(readFileSync(path.join(STUDIES_OUT, MANIFEST_NAME), 'utf8')) as StudiesManifest;

/** Where the stand-in server below serves studies/ from. */
let root = STUDIES_OUT;
/** What the app's server answers: the files under public/ (the query, the content hash, is not part of the name). */
let served = (url: string): Response => {
  const file = path.join(root, decodeURIComponent(url.replace(/^studies\//, '').replace(/\?.*$/, '')));
  try {
    return new Response(readFileSync(file));
  } catch {
    return new Response('not found', { status: 404 });
  }
};
const serve = served;

beforeAll(() => {
  vi.stubGlobal('fetch', async (url: string) => served(url));
});
afterAll(() => vi.unstubAllGlobals());
afterEach(() => {
  served = serve;
  root = STUDIES_OUT;
  useStore.getState().clearComparison();
  useStore.getState().clearOverlays();
  useStore.setState(initialStudies);
});

describe('the manifest', () => {
  it('is a manifest the studio reads, listing the comparisons and the schedule comparison', () => {
    const manifest = parseStudiesManifest(committed);
    const kinds = manifest.studies.map((s) => s.kind);
    expect(kinds.filter((k) => k === 'compare').length).toBeGreaterThanOrEqual(3);
    expect(kinds).toContain('schedules');
    for (const study of manifest.studies) {
      expect(study.caption).not.toMatch(/\n/);
      expect(study.bytes).toBe(study.files.reduce((sum, f) => sum + f.bytes, 0));
    }
  });

  it('is what `npm run studies` makes from the files: each exists, passes the schema, has its size and hash', () => {
    // makeManifest reads every file and checks it with the import's parseRunFile (the telemetry schema).
    expect(makeManifest(STUDIES_OUT)).toEqual(committed);
  });
});

describe('which files make which study', () => {
  const budgets = ['compare-e1-s1.json', 'compare-e8-s1.json', 'compare-e0.5-s1.json', 'compare-e1-s2.json'];
  const cases = (b: number, ks = CASE_KS.slice(0, -1)) => ks.map((k) => `case-k${k}-e${b}-s1.json`);

  it('one comparison per budget (seed 1), the schedule comparisons, no case study while one is incomplete', () => {
    const plan = planStudies([...budgets, ...cases(8, CASE_KS.slice(0, 3)), 'schedules-e1-s1.json']);
    expect(plan.map((s) => s.id)).toEqual(['compare-e0.5', 'compare-e1', 'compare-e8', 'schedules-e1-s1']);
  });

  it('the case study at the largest complete budget: k = 0.832 from the comparison’s EP first, then every k', () => {
    const plan = planStudies([...budgets, ...cases(1), ...cases(8)]);
    const study = plan[0];
    expect(study.id).toBe('case-e8');
    expect(study.files[0]).toEqual({ name: 'compare-e8-s1.json', runs: ['ep'], labels: { ep: 'EP k 0.832' } });
    expect(study.files.slice(1).map((f) => f.name)).toEqual(cases(8));
    expect(CASE_KS).toEqual([0.2, 0.36, 0.488, 0.59, 0.672, 0.738, 0.79, 0.832]);
  });
});

describe('each study opens from the list and replays', () => {
  it.each(committed.studies.map((s) => [s.id, s] as const))('%s', async (_, study) => {
    await loadStudies();
    expect(useStore.getState().studiesError).toBeNull();
    expect(await openStudy(study.id)).toBe(true);
    const s = useStore.getState();
    expect(s.studyError).toBeNull();
    expect(s.mode).toBe('recorded');
    expect(s.studyShown?.id).toBe(study.id);
    // The first file is replayed, the others are laid over its chart (one overlay per run shown).
    const first = study.files[0];
    expect(s.comparison?.config.runs.map((r) => r.id)).toEqual(
      first.runs ?? s.comparison?.config.runs.map((r) => r.id),
    );
    expect(new Set(s.overlays.map((o) => o.recordId)).size).toBe(study.files.length - 1);

    // The replay driver's walk: from the first report, one reported step after another, to the last.
    const steps = reportSteps(s.series);
    expect(steps.length).toBeGreaterThan(10);
    s.setCursor(steps[0]);
    const visited = [steps[0]];
    while (useStore.getState().cursor! < steps.at(-1)!) {
      useStore.getState().scrub(1);
      visited.push(useStore.getState().cursor!);
    }
    expect(visited).toEqual(steps);
    for (const run of s.comparison!.config.runs) {
      const last = reportAt(seriesOf(useStore.getState().series, run.id), steps.at(-1)!);
      expect(last?.step, `${run.label} reaches its last step`).toBe(last?.totalSteps);
      expect(last?.layers.length).toBe(s.comparison!.summary!.layers.length);
    }
  });
});

describe('a study that cannot be opened', () => {
  const study = () => committed.studies.find((s) => s.kind === 'compare')!;

  async function withShown(): Promise<RunRecord> {
    await loadStudies();
    const other = committed.studies.find((s) => s.kind === 'schedules')!;
    expect(await openStudy(other.id)).toBe(true);
    return useStore.getState().comparison as unknown as RunRecord;
  }

  it('offline and never opened: said in words, the screen kept', async () => {
    const before = await withShown();
    served = () => {
      throw new TypeError('Failed to fetch');
    };
    expect(await openStudy(study().id)).toBe(false);
    const s = useStore.getState();
    expect(s.studyError).toEqual({ id: study().id, message: expect.stringMatching(/could not be fetched/) });
    expect(s.comparison).toBe(before);
    expect(s.studyOpening).toBeNull();
  });

  it('a damaged file (cut off half way): said why, the screen kept', async () => {
    const before = await withShown();
    served = (url) => {
      const full = serve(url);
      return url.includes(study().files[0].name) ? new Response('{"format":"supermask-studio/run","ver') : full;
    };
    expect(await openStudy(study().id)).toBe(false);
    expect(useStore.getState().studyError?.message).toMatch(/is not JSON/);
    expect(useStore.getState().comparison).toBe(before);
  });

  it('a file missing on the server: its name and the status', async () => {
    await loadStudies();
    served = (url) => (url.startsWith('studies/studies.json') ? serve(url) : new Response('', { status: 404 }));
    expect(await openStudy(study().id)).toBe(false);
    expect(useStore.getState().studyError?.message).toBe(`${study().files[0].name}: the server answered 404`);
    expect(useStore.getState().mode).toBe('empty');
  });

  it('a list that cannot be read: said, nothing listed', async () => {
    served = () => new Response('<html>', { status: 200 });
    await loadStudies();
    expect(useStore.getState().studiesError).toMatch(/^The list of recorded studies could not be read: /);
    expect(useStore.getState().studies).toBeNull();
    expect(() => parseStudiesManifest({ format: 'x' })).toThrow(/not a "supermask-studio\/studies" manifest/);
  });
});

describe('a file shown in part', () => {
  it('keeps the runs named, under their labels, and leaves the record as it was', () => {
    const file = committed.studies[0].files[0];
    const record = parseRunFile(readFileSync(path.join(STUDIES_OUT, file.name), 'utf8'), file.name);
    const epOnly = shownRecord(record, { ...file, runs: ['ep'], labels: { ep: 'EP k 0.832' } });
    expect(epOnly.config.runs).toEqual([{ id: 'ep', label: 'EP k 0.832', method: 'ep' }]);
    expect(new Set(epOnly.reports.map((r) => r.run))).toEqual(new Set(['ep']));
    expect(new Set(epOnly.evals.map((r) => r.run))).toEqual(new Set(['ep']));
    expect(record.reports.some((r) => r.run === 'iep')).toBe(true);
  });
});

describe('the case study (until its runs exist, from stand-ins: the comparison’s EP run at each k)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'studies-'));
    const compare = 'compare-e0.5-s1.json';
    const text = readFileSync(path.join(STUDIES_OUT, compare), 'utf8');
    writeFileSync(path.join(dir, compare), text);
    const ep = shownRecord(parseRunFile(text, compare), { name: compare, bytes: 1, sha256: '', runs: ['ep'] });
    for (const k of CASE_KS.slice(0, -1)) {
      const id = `case-k${k}-e0.5-s1`;
      writeFileSync(
        path.join(dir, `${id}.json`),
        JSON.stringify({ ...ep, id, config: { ...ep.config, targetPruningRate: k } }),
      );
    }
    writeFileSync(path.join(dir, MANIFEST_NAME), JSON.stringify(makeManifest(dir)));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is listed first, captioned with every k, and opens k = 0.832 with the other seven overlaid, named by k', async () => {
    root = dir;
    await loadStudies();
    const [study, ...rest] = useStore.getState().studies!;
    expect([study.id, ...rest.map((s) => s.id)]).toEqual(['case-e0.5', 'compare-e0.5']);
    expect(study.title).toBe('Case study: EP at 8 pruning rates, 0.5 epochs');
    expect(study.caption).toMatch(
      /^EP alone at k = 0\.2, 0\.36, 0\.488, 0\.59, 0\.672, 0\.738, 0\.79, 0\.832 \(196 steps/,
    );
    expect(study.caption).toMatch(/Opens k = 0\.832 for replay, the other 7 as overlays/);
    expect(await openStudy(study.id)).toBe(true);
    const s = useStore.getState();
    expect(s.comparison?.config.runs).toEqual([{ id: 'ep', label: 'EP k 0.832', method: 'ep' }]);
    expect(s.series.iep).toBeUndefined();
    expect(s.overlays.map((o) => o.label)).toEqual(CASE_KS.slice(0, -1).map((k) => `EP k ${k} · resnet20 ×0.5 seed 1`));
  });
});
