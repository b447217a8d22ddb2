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

/** YAML without anchors and aliases: an object printed twice is printed twice (docs/output.md). */
export function toYaml(value: unknown): string {
  return YAML.stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}

export { table } from './table.js';

/** The apiVersion of every `-o json|yaml` result upkeep prints (docs/output.md documents each kind). */
export const OUTPUT_API_VERSION = 'upkeep.dev/v1alpha1';

/** A machine-readable result: `{apiVersion, kind, ...body}`, the contract of docs/output.md. */
export function outputObject<K extends string, T extends object>(kind: K, body: T): { apiVersion: typeof OUTPUT_API_VERSION; kind: K } & T {
  return { apiVersion: OUTPUT_API_VERSION, kind, ...body };
}
