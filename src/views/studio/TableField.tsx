// One config field of the setup form, drawn from the protocol's field table (src/protocol/fieldTable.ts): its label,
// help link, input kind, step, range, choices and hint all come from there; the error under it from validateConfig.
import { FIELD_OPTIONS, type SelectField } from '../../protocol/config';
import { FIELD_TABLE, fieldKind, isNullable, rangeOf, type FieldPath } from '../../protocol/fieldTable';
import { Explain } from './Explain';
import { Field, NumberInput, Select } from './fields';
import type { Term } from './glossary';

type Value = number | null | string | boolean;

interface Props {
  path: FieldPath;
  /** Where the field sits in the config when not at the top: a run's settings sit at `runs[i]`. */
  at?: string;
  value: Value;
  onChange: (v: Value) => void;
  disabled: boolean;
  /** Replaces the table's hint (e.g. a figure computed from the other fields). */
  hint?: React.ReactNode;
}

function labelText(path: FieldPath): string {
  const { label, unit } = FIELD_TABLE[path];
  if (!unit) return label;
  return unit === '×' ? `${label} ×` : `${label} (${unit})`;
}

export function TableField({ path, at, value, onChange, disabled, hint }: Props) {
  const spec = FIELD_TABLE[path];
  const text = labelText(path);
  const label = spec.help ? <Explain term={spec.help as Term}>{text}</Explain> : text;
  const kind = fieldKind(path);
  // Each control carries its name itself: a label with an explanation in it is no <label> (see Field).
  return (
    <Field field={at ? `${at}.${path}` : path} label={label} hint={hint ?? spec.hint}>
      {(id, invalid) =>
        kind === 'select' ? (
          <Select
            id={id}
            value={value as string}
            options={FIELD_OPTIONS[path as SelectField]}
            onChange={onChange}
            disabled={disabled}
            ariaLabel={text}
          />
        ) : kind === 'boolean' ? (
          <input
            id={id}
            type="checkbox"
            aria-label={text}
            checked={value === true}
            disabled={disabled}
            onChange={(e) => onChange(e.target.checked)}
          />
        ) : (
          <NumberInput
            id={id}
            value={value as number | null}
            step={spec.step}
            nullable={isNullable(path)}
            {...rangeOf(path)}
            invalid={invalid}
            disabled={disabled}
            aria-label={text}
            onChange={(v) => onChange(isNullable(path) ? v : (v ?? NaN))}
          />
        )
      }
    </Field>
  );
}
