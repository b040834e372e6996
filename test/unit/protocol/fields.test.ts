// The field table (config.ts) and the JSON Schema the Python worker validates against must describe the same config:
// every field in both, the run's fields and each method's settings included, the same ranges, whole numbers where
// the schema says integer, the same choices.
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import schema from '../../../src/protocol/telemetry.schema.json';
import {
  BOOLEAN_FIELDS,
  FIELD_LIMITS,
  FIELD_OPTIONS,
  MAX_LABEL,
  MAX_RUNS,
  NULLABLE_FIELDS,
  RUN_ID_PATTERN,
  RUN_METHODS,
  defaultConfig,
  defaultRun,
  optionValues,
  type LimitedField,
  type RunMethod,
  type SelectField,
} from '../../../src/protocol/config';

interface Prop {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  anyOf?: Prop[];
  $ref?: string;
  items?: Prop;
}

interface Def {
  properties?: Record<string, Prop>;
  required?: string[];
  /** RunConfig: one branch per method. */
  oneOf?: Def[];
}

const defs = schema.definitions as unknown as Record<string, Def>;
const defName = (ref: string) => ref.replace('#/definitions/', '');

/**
 * Every leaf field of the schema's ComparisonConfig by its path in the field table: shared fields by name, a run's
 * fields without the runs[i] prefix (id, method, iep.cycles, iep.points.p, iterand.kPer, ...). A field every branch
 * of RunConfig has (id, label) must be the same in each; the branches' method constants make the method's enum.
 */
function schemaFields(): Map<string, Prop> {
  const fields = new Map<string, Prop>();
  const walk = (def: Def, prefix: string) => {
    for (const branch of def.oneOf ?? [def]) {
      for (const [name, prop] of Object.entries(branch.properties!)) {
        const ref = prop.$ref ?? prop.items?.$ref;
        const path = `${prefix}${name}`;
        if (name === 'runs') walk(defs[defName(ref!)], prefix);
        else if (ref) walk(defs[defName(ref)], `${path}.`);
        else if ('const' in prop && def.oneOf) {
          fields.set(path, { enum: [...(fields.get(path)?.enum ?? []), prop.const] });
        } else {
          if (fields.has(path)) expect(prop, `${path} differs between RunConfig's branches`).toEqual(fields.get(path));
          fields.set(path, prop);
        }
      }
    }
  };
  walk(defs.ComparisonConfig, '');
  return fields;
}

// Fields the table leaves out on purpose: the version is a constant, the dataset any id a runner can see, and a run's
// id and label are free text (their rules are RUN_ID_PATTERN and MAX_LABEL, held to the schema below).
const FREE_FIELDS = ['version', 'dataset', 'id', 'label'];

/** RunConfig's branch for one method. */
function branchOf(method: RunMethod): Def {
  const branch = defs.RunConfig.oneOf!.find((b) => b.properties!.method.const === method);
  if (!branch) throw new Error(`RunConfig has no branch for ${method}`);
  return branch;
}

describe('the field table against telemetry.schema.json', () => {
  const fields = schemaFields();

  it('names every schema field exactly once, and no field the schema lacks', () => {
    const table = [...Object.keys(FIELD_LIMITS), ...Object.keys(FIELD_OPTIONS), ...BOOLEAN_FIELDS, ...FREE_FIELDS];
    expect(new Set(table).size).toBe(table.length);
    expect([...table].sort()).toEqual([...fields.keys()].sort());
  });

  it.each(Object.keys(FIELD_LIMITS) as LimitedField[])('%s has the schema range, type and nullability', (field) => {
    const prop = fields.get(field)!;
    const number = prop.anyOf?.find((p) => p.type !== 'null') ?? prop;
    const limit: { min: number; max: number; integer?: boolean } = FIELD_LIMITS[field];
    expect({ min: number.minimum, max: number.maximum, integer: number.type === 'integer' }).toEqual({
      min: limit.min,
      max: limit.max,
      integer: limit.integer ?? false,
    });
    expect(prop.anyOf?.some((p) => p.type === 'null') ?? false).toBe(NULLABLE_FIELDS.includes(field));
  });

  it.each(Object.keys(FIELD_OPTIONS) as SelectField[])('%s offers exactly the schema enum', (field) => {
    expect(optionValues(field)).toEqual(fields.get(field)!.enum);
  });

  it.each(BOOLEAN_FIELDS)('%s is a boolean in the schema', (field) => {
    expect(fields.get(field)!.type).toBe('boolean');
  });
});

describe('runs in the schema and in config.ts', () => {
  const fields = schemaFields();
  const ajv = new Ajv({ allErrors: false, strict: false });
  ajv.addSchema(schema);
  const check = (def: string) => ajv.getSchema(`${schema.$id}#/definitions/${def}`)!;

  it('a comparison holds 1 to MAX_RUNS runs; ids and labels follow the same rules', () => {
    const runs = defs.ComparisonConfig.properties!.runs;
    expect([runs.minItems, runs.maxItems]).toEqual([1, MAX_RUNS]);
    expect(fields.get('id')!.pattern).toBe(RUN_ID_PATTERN.source);
    expect([fields.get('label')!.minLength, fields.get('label')!.maxLength]).toEqual([1, MAX_LABEL]);
  });

  it.each(RUN_METHODS)(
    '%s: its branch holds exactly its settings, all required, and its default run fits',
    (method) => {
      const branch = branchOf(method);
      const run = defaultRun(method, method);
      expect(Object.keys(branch.properties!).sort()).toEqual(Object.keys(run).sort());
      expect([...branch.required!].sort()).toEqual(Object.keys(run).sort());
      expect(check('RunConfig')(run)).toBe(true);
      // Another method's settings do not fit in this one's run.
      const other = RUN_METHODS.find((m) => m !== method && m !== 'ep')!;
      const foreign = { ...run, [other]: (defaultRun(other, other) as unknown as Record<string, unknown>)[other] };
      expect(check('RunConfig')(foreign)).toBe(false);
    },
  );

  it('a six-run comparison of every method is valid under the schema; seven are not', () => {
    const runs = Array.from({ length: 7 }, (_, i) => defaultRun(RUN_METHODS[i % 4], `run-${i}`));
    expect(check('ComparisonConfig')({ ...defaultConfig(), runs: runs.slice(0, 6) })).toBe(true);
    expect(check('ComparisonConfig')({ ...defaultConfig(), runs })).toBe(false);
    expect(check('ComparisonConfig')({ ...defaultConfig(), runs: [] })).toBe(false);
  });
});
