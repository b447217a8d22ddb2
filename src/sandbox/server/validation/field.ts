// kube's field.Error constructors (k8s.io/apimachinery/pkg/util/validation/field): a cause with
// the field path, the reason and the message in the apiserver's words.
import type { StatusCause } from '../../../api/types.js';

/** How field.Invalid prints a value: strings quoted, numbers and booleans bare. */
export function printValue(v: unknown): string {
  if (v instanceof GoValue) return v.text;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return 'null';
  return JSON.stringify(v);
}

export function required(field: string, detail = ''): StatusCause {
  return { reason: 'FieldValueRequired', field, message: detail ? `Required value: ${detail}` : 'Required value' };
}

export function invalid(field: string, value: unknown, detail: string): StatusCause {
  return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${printValue(value)}: ${detail}` };
}

export function notSupported(field: string, value: unknown, supported: readonly string[]): StatusCause {
  return { reason: 'FieldValueNotSupported', field, message: `Unsupported value: ${printValue(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}` };
}

export function duplicate(field: string, value: unknown): StatusCause {
  return { reason: 'FieldValueDuplicate', field, message: `Duplicate value: ${printValue(value)}` };
}

export function forbidden(field: string, detail: string): StatusCause {
  return { reason: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` };
}

export function immutable(field: string, value: unknown): StatusCause {
  return invalid(field, value, 'field is immutable');
}

/** A map[string]string the way Go's %#v prints it (keys sorted), which is how field.Invalid shows label maps. */
export function goStringMap(m: Record<string, string>): GoValue {
  const body = Object.keys(m)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(m[k])}`)
    .join(', ');
  return new GoValue(`map[string]string{${body}}`);
}

/** A value already printed the Go way. */
export class GoValue {
  constructor(readonly text: string) {}
}
