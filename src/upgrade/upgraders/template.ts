// Templates of the command and ssh upgraders: `--node-command 'script {node} {version} {role}'`,
// `--ssh-host '{node}.example.internal'`. Pure.
import type { NodeTarget } from './types.js';

const FIELDS = ['node', 'version', 'role', 'from', 'address'] as const;
type Field = (typeof FIELDS)[number];

/** The fields a template may name. */
export type TemplateFields = Partial<Record<Field, string>>;

function isField(s: string): s is Field {
  return FIELDS.some((f) => f === s);
}

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

/** Values go into a shell command unquoted: only the characters node names, versions and addresses use. */
const SAFE = /^[A-Za-z0-9._:-]+$/;

/** Replaces {node}, {version}, {role}, {from} and {address}; any other {word} is an error, as is an unsafe value. */
export function expandTemplate(template: string, fields: TemplateFields): string {
  return template.replace(/\{([a-zA-Z]+)\}/g, (_, name: string) => {
    if (!isField(name)) throw new TemplateError(`unknown placeholder {${name}} in "${template}" (use {node}, {version}, {role}, {from} or {address})`);
    const value = fields[name];
    if (value === undefined) throw new TemplateError(`{${name}} in "${template}" has no value here`);
    if (!SAFE.test(value)) throw new TemplateError(`{${name}} would be ${JSON.stringify(value)}, which is not safe in a shell command`);
    return value;
  });
}

/** The fields of an upgrade step: the node, its target version, its role, where it comes from, its address. */
export function targetFields(target: Partial<NodeTarget> & Pick<NodeTarget, 'node'>): TemplateFields {
  return {
    node: target.node,
    ...(target.to !== undefined ? { version: target.to } : {}),
    ...(target.role !== undefined ? { role: target.role } : {}),
    ...(target.from !== undefined ? { from: target.from } : {}),
    ...(target.address !== undefined ? { address: target.address } : {}),
  };
}

/** Which host ssh connects to: the --ssh-host template, else the node's address (InternalIP, else Hostname), else its name. */
export function sshHost(target: Pick<NodeTarget, 'node' | 'address'>, hostTemplate?: string): string {
  if (hostTemplate) return expandTemplate(hostTemplate, targetFields(target));
  return target.address ?? target.node;
}
