// `upkeep audit [images|availability|nodes|certs|permissions] [-n NS | -A] [-l SELECTOR]
// [--for drain|upgrade|backup|restore] [-o table|json|yaml] [--fail-on info|warning|blocking]
// [--pki-dir DIR] [--etcd-endpoints URL,...]`: the checks an admin runs before maintenance,
// findings grouped by severity. Exit 3 when a finding at or above --fail-on exists (after printing).
import { promises as fs } from 'node:fs';
import { Option, type Command } from '@commander-js/extra-typings';
import { parseLabelSelector } from '../../api/labels.js';
import { CHECKS, type Check, isCheck } from '../../audit/checks.js';
import { SEVERITIES, type Severity } from '../../audit/finding.js';
import { OPERATIONS, type Operation, isOperation } from '../../audit/maintenance.js';
import { type EtcdTLS, runAudit } from '../../audit/run.js';
import { errorMessage } from '../../util/errors.js';
import type { GlobalFlags, Io } from '../context.js';
import { BlockedError, UsageError } from '../errors.js';
import { clientFromFlags } from '../client.js';
import { renderAudit } from '../output/audit.js';
import { outputObject, parseOutput, toJson, toYaml } from '../output/format.js';
import { examples, forProgram } from '../help.js';

function isSeverity(s: string): s is Severity {
  return SEVERITIES.some((v) => v === s);
}

/** The severities at or above --fail-on. */
export function failingSeverities(failOn: Severity): Severity[] {
  return SEVERITIES.slice(0, SEVERITIES.indexOf(failOn) + 1);
}

function parseEndpoints(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(',').map((e) => {
    const url = e.trim().includes('://') ? e.trim() : `https://${e.trim()}`;
    try {
      if (new URL(url).protocol !== 'https:') throw new Error('not https');
    } catch {
      throw new UsageError(`invalid value "${e}" for --etcd-endpoints: want https://host:port (a TLS endpoint; its certificate is what is checked)`);
    }
    return url;
  });
}

async function readFlagFile(file: string | undefined, flag: string): Promise<Buffer | undefined> {
  if (!file) return undefined;
  try {
    return await fs.readFile(file);
  } catch (e) {
    throw new UsageError(`cannot read ${flag} ${file}: ${errorMessage(e)}`);
  }
}

interface AuditFlags {
  selector?: string;
  for?: string;
  failOn: string;
  pkiDir?: string;
  etcdEndpoints?: string;
  etcdCacert?: string;
  etcdCert?: string;
  etcdKey?: string;
}

/** Validate the flags up front: which checks, which maintenance, which severity fails. */
function parseFlags(check: string | undefined, g: GlobalFlags, opts: AuditFlags): { checks: Check[]; operation?: Operation; failOn: Severity } {
  if (check !== undefined && !isCheck(check)) throw new UsageError(`unknown check "${check}": must be one of ${CHECKS.join(', ')}`);
  if (opts.for !== undefined && !isOperation(opts.for)) throw new UsageError(`invalid value "${opts.for}" for --for: must be one of ${OPERATIONS.join(', ')}`);
  if (!isSeverity(opts.failOn)) throw new UsageError(`invalid value "${opts.failOn}" for --fail-on: must be info, warning or blocking`);
  if (g.namespace && g.allNamespaces) throw new UsageError("'-n' and '-A' are mutually exclusive: -n audits one namespace, -A (the default) all of them");
  if (opts.selector !== undefined) {
    try {
      parseLabelSelector(opts.selector);
    } catch (e) {
      throw new UsageError(`invalid value "${opts.selector}" for -l: ${errorMessage(e)}`);
    }
  }
  return { checks: check === undefined ? [...CHECKS] : [check], ...(opts.for ? { operation: opts.for } : {}), failOn: opts.failOn };
}

/** The findings' commands for the program as it was started (`kubectl upkeep drain ...` as the plugin). */
export function findingsForProgram<T extends { message: string; fix: string }>(findings: readonly T[], programName: string): T[] {
  return findings.map((f) => ({ ...f, message: forProgram(f.message, programName), fix: forProgram(f.fix, programName) }));
}

export function registerAudit(program: Command, io: Io, globals: () => GlobalFlags): void {
  const cmd = program
    .command('audit [check]')
    .description(`The checks to run before maintenance (${CHECKS.join(', ')}; default all): findings by severity, each with its fix; exit 3 when one is at or above --fail-on`)
    .addOption(new Option('-l, --selector <selector>', 'only pods with these labels (and the budgets that select them)'))
    .addOption(new Option('--for <operation>', `the maintenance about to run: ${OPERATIONS.join(', ')} (the permissions it needs, the wording of findings)`))
    .addOption(new Option('--fail-on <severity>', 'exit 3 when a finding is at least this severe: info, warning or blocking').default('blocking'))
    .addOption(new Option('--pki-dir <dir>', "a kubeadm PKI directory on this machine (/etc/kubernetes/pki): every certificate and CA, and the kubeconfig files in its parent"))
    .addOption(new Option('--etcd-endpoints <urls>', "etcd client URLs whose serving certificates to check (comma-separated https://host:2379)"))
    .addOption(new Option('--etcd-cacert <file>', 'CA bundle for the etcd endpoints (the check reads the certificate even when it does not verify)'))
    .addOption(new Option('--etcd-cert <file>', 'client certificate for etcd endpoints that require one'))
    .addOption(new Option('--etcd-key <file>', 'client key for --etcd-cert'))
    .action(async (check, opts) => {
      const g = globals();
      const format = parseOutput(g.output, ['table', 'json', 'yaml']);
      const { checks, operation, failOn } = parseFlags(check, g, opts);
      const etcdEndpoints = parseEndpoints(opts.etcdEndpoints);
      if ((opts.etcdCert === undefined) !== (opts.etcdKey === undefined)) throw new UsageError('--etcd-cert and --etcd-key go together');
      const etcdTLS: EtcdTLS = {
        ca: await readFlagFile(opts.etcdCacert, '--etcd-cacert'),
        cert: await readFlagFile(opts.etcdCert, '--etcd-cert'),
        key: await readFlagFile(opts.etcdKey, '--etcd-key'),
      };
      if (opts.pkiDir !== undefined) {
        const stat = await fs.stat(opts.pkiDir).catch(() => undefined);
        if (!stat?.isDirectory()) throw new UsageError(`--pki-dir ${opts.pkiDir} is not a directory (on a kubeadm control-plane node: /etc/kubernetes/pki)`);
      }
      const client = await clientFromFlags(g, io);
      const now = Date.now();
      const audited = await runAudit(client, {
        checks,
        ...(g.namespace ? { namespace: g.namespace } : {}),
        ...(opts.selector ? { selector: opts.selector } : {}),
        ...(operation ? { operation } : {}),
        ...(opts.pkiDir ? { pkiDir: opts.pkiDir } : {}),
        etcdEndpoints,
        etcdTLS,
        now,
      });
      const report = { ...audited, findings: findingsForProgram(audited.findings, program.name()) };
      if (format === 'json') io.out(toJson(outputObject('AuditReport', report)));
      else if (format === 'yaml') io.out(toYaml(outputObject('AuditReport', report)));
      else io.out(renderAudit(report, now));
      const failing = report.findings.filter((f) => failingSeverities(failOn).includes(f.severity));
      if (failing.length) {
        throw new BlockedError(`${failing.length} finding${failing.length === 1 ? '' : 's'} at or above --fail-on ${failOn}: ${failing.map((f) => (f.object ? `${f.code} ${f.object}` : f.code)).join(', ')}`);
      }
    });
  examples(cmd, [
    ['Every check, all namespaces; exit 3 on a blocking finding', 'upkeep audit'],
    ['What stands in the way of a drain in namespace shop', 'upkeep audit availability -n shop --for drain'],
    ['Fail a CI job on warnings too, as JSON', 'upkeep audit --fail-on warning -o json'],
    ['Certificates on a kubeadm control-plane node, and etcd\'s serving ones', 'upkeep audit certs --pki-dir /etc/kubernetes/pki --etcd-endpoints https://etcd1.test:2379'],
    ['Whether you may run an upgrade', 'upkeep audit permissions --for upgrade'],
  ]);
}
