// Form fields for the setup: each shows the validation error for its own config field, right where it is edited.
import { useId } from 'react';
import { useStore } from '../../store';

/** The error for `field` (or any sub-path of it, e.g. iep.points[2].p under iep.points). */
export function useFieldError(field: string): string | null {
  return useStore((s) => {
    const e = s.configError;
    if (!e) return null;
    return e.field === field || e.field.startsWith(`${field}.`) || e.field.startsWith(`${field}[`) ? e.message : null;
  });
}

interface FieldProps {
  field: string;
  /** Plain text, or text with an explanation in it (an Explain): then the child must name its control itself. */
  label: React.ReactNode;
  hint?: React.ReactNode;
  children: (id: string, invalid: boolean) => React.ReactNode;
}

export function Field({ field, label, hint, children }: FieldProps) {
  const id = useId();
  const error = useFieldError(field);
  return (
    <div className={`field${error ? ' field-invalid' : ''}`} data-field={field}>
      {/* A <label> may not hold a <details> (the Explain's, itself interactive): axe finds no label through it. */}
      {typeof label === 'string' ? <label htmlFor={id}>{label}</label> : <div className="field-label">{label}</div>}
      <div className="field-input">
        {children(id, error !== null)}
        {hint && <span className="field-hint">{hint}</span>}
      </div>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

interface NumberInputProps {
  id: string;
  value: number | null;
  onChange: (v: number | null) => void;
  invalid: boolean;
  disabled: boolean;
  step?: number | 'any';
  min?: number;
  max?: number;
  /** Empty input means null (e.g. "use all images") instead of an invalid number. */
  nullable?: boolean;
  placeholder?: string;
  'aria-label'?: string;
}

export function NumberInput({ id, value, onChange, invalid, disabled, nullable, ...rest }: NumberInputProps) {
  return (
    <input
      id={id}
      type="number"
      inputMode="decimal"
      aria-invalid={invalid}
      disabled={disabled}
      value={value === null || !Number.isFinite(value) ? '' : value}
      onChange={(e) => {
        const text = e.target.value.trim();
        onChange(text === '' ? (nullable ? null : NaN) : Number(text));
      }}
      {...rest}
    />
  );
}

interface SelectProps<T extends string> {
  id: string;
  value: T;
  options: readonly (T | { value: T; label: string })[];
  onChange: (v: T) => void;
  disabled: boolean;
  /** The accessible name, where no <label> points at the select (a row of a list, say). */
  ariaLabel?: string;
}

export function Select<T extends string>({ id, value, options, onChange, disabled, ariaLabel }: SelectProps<T>) {
  return (
    <select
      id={id}
      value={value}
      disabled={disabled}
      aria-label={ariaLabel}
      onChange={(e) => onChange(e.target.value as T)}
    >
      {options.map((o) => {
        const opt = typeof o === 'string' ? { value: o, label: o } : o;
        return (
          <option key={opt.value} value={opt.value}>
            {opt.label}
          </option>
        );
      })}
    </select>
  );
}
