// Share a comparison by link: the whole config lives in the URL hash as JSON, so a link opened elsewhere (or pasted
// into a slide) restores exactly the same setup. Partial JSON is filled from the defaults, so hand-written links like
// #config={"model":"conv2"} work too.
import { defaultConfig, defaultIepConfig, type ComparisonConfig } from '../protocol/config';
import { ConfigError, validateConfig } from '../protocol/validate';

const KEY = 'config=';

export function configToHash(config: ComparisonConfig): string {
  return `#${KEY}${encodeURIComponent(JSON.stringify(config))}`;
}

export type HashResult = { config: ComparisonConfig } | { error: string } | null;

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
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { error: 'The link’s config is not an object; the defaults are shown instead.' };
  }
  const given = parsed as Record<string, unknown>;
  const base = defaultConfig();
  const iep: Record<string, unknown> = typeof given.iep === 'object' && given.iep !== null ? { ...given.iep } : {};
  // A hand-written custom schedule need not count its cycles: one per point (as the editor sets it), not the default.
  if (Array.isArray(iep.points) && iep.cycles === undefined) iep.cycles = iep.points.length;
  const merged = { ...base, ...given, iep: { ...defaultIepConfig(), ...iep } };
  try {
    return { config: validateConfig(merged) };
  } catch (e) {
    const why = e instanceof ConfigError ? e.message : String(e);
    return { error: `The link’s config was not used (${why}); the defaults are shown instead.` };
  }
}
