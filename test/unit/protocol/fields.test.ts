// The field table (config.ts) and the JSON Schema the Python worker validates against must describe the same config:
// every field in both, the same ranges, whole numbers where the schema says integer, the same choices.
import { describe, expect, it } from 'vitest';
import schema from '../../../src/protocol/telemetry.schema.json';
import {
  BOOLEAN_FIELDS,
  FIELD_LIMITS,
  FIELD_OPTIONS,
  NULLABLE_FIELDS,
  optionValues,
  type LimitedField,
  type SelectField,
} from '../../../src/protocol/config';

interface Prop {
  type?: string;
  enum?: string[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  anyOf?: Prop[];
  $ref?: string;
  items?: Prop;
}

const defs = schema.definitions as unknown as Record<string, { properties: Record<string, Prop> }>;

/** Every leaf field of the schema's ComparisonConfig by its config path (iep.cycles, iep.points.p, ...). */
function schemaFields(): Map<string, Prop> {
  const fields = new Map<string, Prop>();
  const walk = (def: string, prefix: string) => {
    for (const [name, prop] of Object.entries(defs[def].properties)) {
      const ref = prop.$ref ?? prop.items?.$ref;
      if (ref) walk(ref.replace('#/definitions/', ''), `${prefix}${name}.`);
      else fields.set(`${prefix}${name}`, prop);
    }
  };
  walk('ComparisonConfig', '');
  return fields;
}

// Fields the table leaves out on purpose: the version is a constant and the dataset any id a runner can see.
const FREE_FIELDS = ['version', 'dataset'];

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
