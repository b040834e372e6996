// Share a comparison by link: the whole config lives in the URL hash as JSON, so a link opened elsewhere (or pasted
// into a slide) restores exactly the same setup, its whole list of runs included. Partial JSON is filled from the
// defaults, so hand-written links like #config={"model":"conv2"} work too; a link of protocol v1 (its `iep` settings
// at the top) opens as EP against that iEP.
import {
  CONFIG_VERSION,
  defaultConfig,
  defaultRun,
  defaultRuns,
  isWorkerOnly,
  optionValues,
  withModel,
  type ComparisonConfig,
  type RunMethod,
} from '../protocol/config';
import { ConfigError, validateConfig } from '../protocol/validate';

const KEY = 'config=';

export function configToHash(config: ComparisonConfig): string {
  return `#${KEY}${encodeURIComponent(JSON.stringify(config))}`;
}

export type HashResult = { config: ComparisonConfig } | { error: string } | null;

type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A method's settings filled from its defaults (a hand-written custom schedule counts one cycle per point). */
function fillSettings(defaults: Obj, given: unknown): Obj {
  const settings: Obj = isObj(given) ? { ...given } : {};
  if (Array.isArray(settings.points) && settings.cycles === undefined) settings.cycles = settings.points.length;
  return { ...defaults, ...settings };
}

/** A partial run filled from its method's defaults; anything else is left for validateConfig to name. */
function fillRun(given: unknown, i: number): unknown {
  if (!isObj(given)) return given;
  const method = (optionValues('method') as unknown[]).includes(given.method) ? (given.method as RunMethod) : 'ep';
  const base = defaultRun(method, `run-${i + 1}`) as unknown as Obj;
  const run: Obj = { ...base, ...given };
  if (method !== 'ep') run[method] = fillSettings(base[method] as Obj, given[method]);
  return run;
}

/** null when the hash holds no config; an error message names the bad field when it holds a broken one. */
export function configFromHash(hash: string): HashResult {
  const body = hash.startsWith('#') ? hash.slice(1) : hash;
  const part = body.split('&').find((s) => s.startsWith(KEY));
  if (!part) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(decodeURIComponent(part.slice(KEY.length)));
  } catch {
    return { error: 'The link’s config is not valid JSON; the defaults are shown instead.' };
  }
  if (!isObj(parsed)) {
    return { error: 'The link’s config is not an object; the defaults are shown instead.' };
  }
  const { iep, runs, ...given } = parsed;
  const listed = Array.isArray(runs)
    ? runs.map(fillRun)
    : defaultRuns().map((r) => (r.method === 'iep' ? { ...r, iep: fillSettings(r.iep as unknown as Obj, iep) } : r));
  // A v1 link's runs were just filled in above; any other version (a later app's) is left for validateConfig to name.
  const version = given.version === undefined || given.version === 1 ? CONFIG_VERSION : given.version;
  // A link naming a worker-only net fills in what that net takes (width 1, the worker's ImageNet).
  const defaults =
    typeof given.model === 'string' && isWorkerOnly(given.model)
      ? withModel(defaultConfig(), given.model, defaultConfig().dataset)
      : defaultConfig();
  const merged = { ...defaults, ...given, version, runs: listed };
  try {
    return { config: validateConfig(merged) };
  } catch (e) {
    const why = e instanceof ConfigError ? e.message : String(e);
    return { error: `The link’s config was not used (${why}); the defaults are shown instead.` };
  }
}

/**
 * The worker a link asks to attach to on load: `#worker=<url-encoded ws://…/?token=…>` (the fragment never leaves the
 * browser, so the token reaches no server), or `?worker=` as older links wrote it. The fragment may also carry
 * `config=`, joined by `&`.
 */
export function workerFromAddress(search: string, hash: string): string | null {
  const fragment = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  return fragment.get('worker') ?? new URLSearchParams(search).get('worker');
}
