// A tool's input schema as a form: strings, numbers, integers, booleans and enums get their own
// inputs; anything else (objects, arrays) is edited as JSON. The JSON tab edits the whole arguments.
import { useState } from 'preact/hooks';

export interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  enum?: unknown[];
  description?: string;
  default?: unknown;
  title?: string;
}

type Values = Record<string, string | boolean>;

function typeOf(schema: Schema): string {
  const t = Array.isArray(schema.type) ? schema.type.find((x) => x !== 'null') : schema.type;
  if (schema.enum) return 'enum';
  return t ?? 'json';
}

// The arguments object the form's values stand for; throws with the field's name when one is invalid.
export function argumentsOf(schema: Schema, values: Values): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    const raw = values[name];
    const required = schema.required?.includes(name) ?? false;
    if (raw === undefined || raw === '') {
      if (required && typeOf(prop) !== 'boolean') throw new Error(`${name} is required`);
      continue;
    }
    switch (typeOf(prop)) {
    case 'boolean': if (raw === true || required) out[name] = raw === true; break;
    case 'integer': case 'number': {
      const n = Number(raw);
      if (raw === true || Number.isNaN(n) || (typeOf(prop) === 'integer' && !Number.isInteger(n))) throw new Error(`${name} must be ${typeOf(prop) === 'integer' ? 'an integer' : 'a number'}`);
      out[name] = n;
      break;
    }
    case 'enum': out[name] = prop.enum!.find((v) => String(v) === raw) ?? raw; break;
    case 'string': out[name] = raw; break;
    default:
      try {
        out[name] = JSON.parse(String(raw));
      } catch {
        throw new Error(`${name} must be JSON`);
      }
    }
  }
  return out;
}

export function SchemaForm({ schema, values, onChange, disabled }: { schema: Schema; values: Values; onChange: (v: Values) => void; disabled?: boolean }) {
  const entries = Object.entries(schema.properties ?? {});
  if (entries.length === 0) return <p class="muted">This tool takes no arguments.</p>;
  const set = (name: string, value: string | boolean) => onChange({ ...values, [name]: value });
  return (
    <div class="schema-form">
      {entries.map(([name, prop]) => {
        const required = schema.required?.includes(name) ?? false;
        const kind = typeOf(prop);
        const id = `arg-${name}`;
        let input;
        if (kind === 'boolean')
          input = <input id={id} name={name} type="checkbox" checked={values[name] === true} disabled={disabled} onChange={(e) => set(name, e.currentTarget.checked)} />;
        else if (kind === 'enum')
          input = <select id={id} name={name} value={String(values[name] ?? '')} disabled={disabled} onChange={(e) => set(name, e.currentTarget.value)}>
            <option value="">—</option>{prop.enum!.map((v) => <option value={String(v)}>{String(v)}</option>)}</select>;
        else if (kind === 'string' || kind === 'number' || kind === 'integer')
          input = <input id={id} name={name} type={kind === 'string' ? 'text' : 'number'} step={kind === 'integer' ? 1 : 'any'} value={String(values[name] ?? '')}
                         disabled={disabled} required={required} onInput={(e) => set(name, e.currentTarget.value)} />;
        else
          input = <textarea id={id} name={name} rows={3} value={String(values[name] ?? '')} placeholder={kind === 'array' ? '[ ]' : '{ }'} disabled={disabled}
                            onInput={(e) => set(name, e.currentTarget.value)} />;
        return (
          <div class="field" key={name}>
            <label for={id}><span class="mono">{name}</span>{required ? <span class="required" title="required">*</span> : null} <span class="muted">{kind}</span></label>
            {input}
            {prop.description ? <div class="sub">{prop.description}</div> : null}
          </div>);
      })}
    </div>
  );
}

export function useFormValues(): [Values, (v: Values) => void] {
  return useState<Values>({});
}
