// Protocol v1 → v2 on read: a v1 comparison was always EP against one iEP; it becomes the two runs 'ep' and 'iep' of
// a v2 comparison, with iEP's settings moved into its run. Reports already name their run 'ep' or 'iep', the ids the
// conversion gives, so a v1 run file replays unchanged.
import { CONFIG_VERSION, type ComparisonConfig, type IepConfig } from './config';

type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A v1 config as v2 (anything else is returned as is, for validateConfig to judge). Never mutates its input. */
export function upgradeConfig(x: unknown): unknown {
  if (!isObj(x) || x.version !== 1) return x;
  const { iep, ...shared } = x;
  return {
    ...shared,
    version: CONFIG_VERSION,
    runs: [
      { id: 'ep', label: 'EP', method: 'ep' },
      { id: 'iep', label: 'iEP', method: 'iep', iep: iep as IepConfig },
    ],
  } satisfies Partial<Record<keyof ComparisonConfig, unknown>>;
}

/** A v1 run record (file or stored) as v2: its config upgraded, its reports as they are. */
export function upgradeRecord(x: unknown): unknown {
  if (!isObj(x) || x.version !== 1) return x;
  return { ...x, version: CONFIG_VERSION, config: upgradeConfig(x.config) };
}
