// Output formats shared by commands: -o json|yaml, and aligned columns like kubectl's tables.
import YAML from 'yaml';
import { UsageError } from '../errors.js';

export type OutputFormat = 'table' | 'json' | 'yaml' | 'wide' | 'name' | 'runbook';

export function parseOutput(value: string | undefined, allowed: OutputFormat[]): OutputFormat {
  const v = allowed.find((f) => f === (value ?? 'table'));
  if (!v) {
    throw new UsageError(`unable to match a printer suitable for the output format "${value}", allowed formats are: ${allowed.join(',')}`);
  }
  return v;
}

export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

export function toYaml(value: unknown): string {
  return YAML.stringify(value, { lineWidth: 0 });
}

export { table } from './table.js';
