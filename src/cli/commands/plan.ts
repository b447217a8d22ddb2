// `upkeep plan [--to VERSION] [-o table|json|yaml|runbook] [--os debian|rhel|both]`: discover the
// cluster's component versions as kubeadm does, run the preflight checks, and plan the upgrade
// one control-plane minor at a time within the skew policy. Exit 3 when the plan has blocking
// findings (after printing it).
import { Option, type Command } from '@commander-js/extra-typings';
import type { GlobalFlags, Io } from '../context.js';
import { BlockedError, UsageError } from '../errors.js';
import { clientFromFlags } from '../client.js';
import { outputObject, parseOutput, toJson, toYaml } from '../output/format.js';
import { examples, forProgram } from '../help.js';
import { collectApiUsages, discoverClusterVersions, type DiscoveredCluster } from '../../upgrade/discover.js';
import { preflight } from '../../upgrade/preflight.js';
import { planUpgrade, type Finding, type UpgradePlan } from '../../upgrade/plan.js';
import { latestPatch, release } from '../../upgrade/releases.js';
import { renderPlanTable, renderRunbook, type HostOS } from '../output/plan.js';
import { HOST_OS_VALUES, parseHostOS } from '../../upgrade/hostcommands.js';
import { addMinor, compareVersions, formatVersion, maxVersion, minVersion, minorKey, parseVersion, type Version } from '../../upgrade/version.js';
import { targetRefusal } from '../../upgrade/rules/target.js';

/** Which package manager the runbook shows: from the nodes' osImage unless --os says. */
export function hostOSOf(osImages: string[]): HostOS {
  const kinds = new Set(
    osImages.map((s) => (/debian|ubuntu/i.test(s) ? 'debian' : /red hat|rhel|centos|rocky|alma|fedora|oracle linux|amazon linux/i.test(s) ? 'rhel' : 'other')),
  );
  if (kinds.size === 1 && kinds.has('debian')) return 'debian';
  if (kinds.size === 1 && kinds.has('rhel')) return 'rhel';
  return 'both';
}

/**
 * No --to: the next minor when the release table knows it (what an admin asks for most), else a
 * newer patch of the current minor, else none (the current skew only).
 */
export function defaultTarget(current: Version): Version | null {
  const next = addMinor(current, 1);
  if (release(next)) return next;
  const patch = latestPatch(minorKey(current));
  return patch && compareVersions(patch, current) > 0 ? patch : null;
}

/** What discovery could not read, as findings. */
export function discoveryFindings(cluster: DiscoveredCluster): Finding[] {
  return cluster.unreadable.map((u) => ({
    severity: 'warning' as const,
    code: 'VersionUnreadable',
    ...(u.node ? { object: `node/${u.node}` } : {}),
    message: `the version of ${u.component}${u.node ? ` on ${u.node}` : ''} cannot be read from ${JSON.stringify(u.image)}: it is left out of the skew checks`,
    fix: u.component === 'kubelet' ? `check the node's status.nodeInfo.kubeletVersion` : `run an image tagged with its Kubernetes version (as kubeadm does), or check the component by hand`,
  }));
}

export function registerPlan(program: Command, io: Io, globals: () => GlobalFlags): void {
  const cmd = program
    .command('plan')
    .description('Plan a Kubernetes upgrade as kubeadm would, within the version skew policy: component versions, the hops, preflight findings, and a runbook per node (-o runbook)')
    .addOption(new Option('--to <version>', 'target version: v1.32.4, or 1.32 for its latest known patch (default: the next minor)'))
    .addOption(new Option('--os <os>', "hosts' package manager for -o runbook: debian or ubuntu (apt), rhel, centos, rocky or fedora (dnf/yum), or both (default: from the nodes' osImage)"))
    .action(async (opts) => {
      const g = globals();
      const format = parseOutput(g.output, ['table', 'json', 'yaml', 'runbook']);
      let to: Version | undefined;
      if (opts.to !== undefined) {
        try {
          to = parseVersion(opts.to);
        } catch (e) {
          throw new UsageError(`invalid value "${opts.to}" for --to: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      const hostOS: HostOS | undefined = opts.os === undefined ? undefined : parseHostOS(opts.os);
      if (opts.os !== undefined && !hostOS) throw new UsageError(`invalid value "${opts.os}" for --os: must be one of ${HOST_OS_VALUES}`);
      const client = await clientFromFlags(g, io);
      const cluster = await discoverClusterVersions(client);
      const oldest = minVersion(cluster.apiservers.map((a) => a.version)) ?? cluster.serverVersion;
      const refusal = to && targetRefusal(to, maxVersion(cluster.apiservers.map((a) => a.version)) ?? cluster.serverVersion);
      if (refusal) throw new UsageError(`invalid value "${opts.to}" for --to: ${refusal}`);
      const target = to ?? defaultTarget(oldest);
      const [checks, usages] = await Promise.all([preflight(client), target ? collectApiUsages(client, minorKey(oldest), minorKey(target)) : Promise.resolve([])]);
      const plan: UpgradePlan = planUpgrade(cluster, target, { findings: [...discoveryFindings(cluster), ...checks], removedApiUsages: usages });

      if (format === 'json' || format === 'yaml') {
        const doc = outputObject('UpgradePlan', { ...plan, nodes: cluster.nodes });
        io.out(format === 'json' ? toJson(doc) : toYaml(doc));
      } else if (format === 'runbook') {
        const os = hostOS ?? hostOSOf(cluster.nodes.map((n) => n.osImage));
        io.out(forProgram(renderRunbook(plan, cluster.nodes, os, { etcdEndpoints: cluster.etcdEndpoints }), program.name()));
      } else {
        if (!to && target) io.out(`No --to given: planning to ${formatVersion(target)}${target.minorOnly ? ' (its latest known patch)' : ''}.\n`);
        io.out(forProgram(renderPlanTable(plan, cluster.nodes), program.name()));
      }
      if (plan.blocking) {
        const blocking = plan.findings.filter((f) => f.severity === 'blocking');
        throw new BlockedError(forProgram(`the plan has ${blocking.length} blocking finding${blocking.length === 1 ? '' : 's'}: ${blocking.map((f) => (f.object ? `${f.code} ${f.object}` : f.code)).join(', ')}`, program.name()));
      }
    });
  examples(cmd, [
    ['Plan the upgrade to the next minor version', 'upkeep plan'],
    ['Plan the upgrade to the latest known patch of 1.32', 'upkeep plan --to 1.32'],
    ['The runbook for every node, with apt commands', 'upkeep plan --to v1.32.4 -o runbook --os debian'],
    ['The plan in JSON, for a pipeline', 'upkeep plan --to 1.32 -o json'],
  ]);
}
