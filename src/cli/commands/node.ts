// `upkeep node maintain NODE... --run CMD`: the OS-maintenance story without a version change:
// each node drained, CMD run on it (or rebooted) through the upgrader, Ready again, uncordoned;
// the same gates, journal, lease and strategies as `upgrade apply` (and `upgrade resume|abort`).
import { Option, type Command } from '@commander-js/extra-typings';
import { kubeletVersion } from '../../api/nodes.js';
import { resolveNodes } from '../../drain/cordon.js';
import { isControlPlaneNode } from '../../upgrade/discover.js';
import { maintenanceSteps, strategyImpact } from '../../upgrade/apply/steps.js';
import { clientFromFlags } from '../client.js';
import type { GlobalFlags, Io } from '../context.js';
import { UsageError } from '../errors.js';
import { outputObject, parseOutput } from '../output/format.js';
import { renderSteps } from '../output/upgrade.js';
import { examplesByPath } from '../help.js';
import { confirm, parseRunFlags, runFlagValues, runFlags, startRun } from './upgrade.js';

export function registerNode(program: Command, io: Io, globals: () => GlobalFlags): void {
  const node = program.command('node').description('Node maintenance: drain, service, Ready, uncordon, with gates and a journal');
  const maintain = node
    .command('maintain <nodes...>')
    .description('Drain each node, run a command on it (or reboot it), wait for Ready, uncordon; one at a time unless told')
    .addOption(new Option('--run <command>', 'the command to run on each node (default: a reboot)'));
  for (const o of runFlags()) maintain.addOption(o);
  maintain.action(async (names, given) => {
    const opts = { ...given, ...runFlagValues(maintain.opts()) };
    const g = { ...globals(), programName: program.name() };
    const format = parseOutput(g.output, ['table', 'json']);
    const { strategy, maxUnavailable, settings } = parseRunFlags(opts);
    if (strategy === 'replace') throw new UsageError('--strategy replace is for upgrades: node maintain keeps its nodes');
    const client = await clientFromFlags(g, io);
    const nodes = await resolveNodes(client, names, undefined);
    const steps = maintenanceSteps(
      nodes.map((n) => ({ name: n.metadata.name ?? '', kubeletVersion: kubeletVersion(n) ?? '', controlPlane: isControlPlaneNode(n) })),
      { strategy, maxUnavailable },
    );
    const impact = strategyImpact(steps, strategy);
    if (format === 'json' && opts.dryRun) io.out(JSON.stringify(outputObject('MaintenanceSteps', { impact, steps })) + '\n');
    else if (format !== 'json') io.out(renderSteps(`Maintenance of ${steps.length} node${steps.length === 1 ? '' : 's'}${opts.run ? `: ${opts.run}` : ': reboot'} (${strategy})`, steps, impact, new Map()));
    if (opts.dryRun) return;
    await confirm(io, !!opts.yes, `Maintain these ${steps.length} nodes?`);
    await startRun(io, g, format, client, { operation: 'maintain', steps, target: '', strategy, settings: { ...settings, ...(opts.run !== undefined ? { maintainCommand: opts.run } : {}) } });
  });
  examplesByPath(node, {
    '': [['Reboot node01 and node02 one at a time, each drained first', 'upkeep node maintain node01 node02 --yes']],
    maintain: [
      ['The steps of rebooting node01 and node02, changing nothing', 'upkeep node maintain node01 node02 --dry-run'],
      ['Patch the OS of two Ubuntu nodes over ssh, one at a time', "upkeep node maintain node01 node02 --upgrader ssh --os ubuntu --ssh-user admin --run 'sudo apt-get -y upgrade' --yes"],
      ['Reboot three nodes two at a time, a health check after each', "upkeep node maintain node01 node02 node03 --max-unavailable 2 --health-command './smoke.sh' --yes"],
    ],
  });
}
