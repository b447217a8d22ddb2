// `upkeep cordon|uncordon NODE... | -l SELECTOR`: kubectl's commands, with ownership —
// upkeep records that it cordoned a node and won't uncordon one it didn't without --force.
import { Option, type Command } from '@commander-js/extra-typings';
import type { GlobalFlags, Io } from '../context.js';
import { BlockedError, ExitError, UsageError } from '../errors.js';
import { clientFromFlags } from '../client.js';
import { parseDryRun } from '../flags.js';
import { type CordonResult, NodeSelectionError, nodeSelection, resolveNodes, setCordon } from '../../drain/cordon.js';
import { outputObject, parseOutput, toJson, toYaml } from '../output/format.js';
import { examples } from '../help.js';
import { isNodeReady } from '../../api/nodes.js';
import { parseLabelSelector } from '../../api/labels.js';
import { outstandingSurges, restoreSurges, surgeNotice } from '../../drain/surge.js';
import type { KubeClient } from '../../kube/index.js';

/**
 * A label selector flag, checked before anything is read: the server would refuse it with 400
 * after the kubeconfig and the connection; say it here, naming the flag and the selector.
 */
export function selectorFlag(selector: string | undefined, flag: string): string | undefined {
  if (selector === undefined) return undefined;
  try {
    parseLabelSelector(selector);
  } catch (e) {
    throw new UsageError(`invalid value ${JSON.stringify(selector)} for ${flag}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return selector;
}

/**
 * Node names against -l/--selector, checked before anything is read: kubectl's usage errors
 * (exit 2). `usage` is the command's own line for neither. The check itself is nodeSelection's.
 */
export function nodeSelectionFlags(names: readonly string[], selector: string | undefined, usage: string): void {
  // kubectl's resource builder: an empty name would otherwise read as "every node".
  if (names.some((n) => n.trim() === '')) throw new UsageError('resource name may not be empty');
  selectorFlag(selector, '-l/--selector');
  try {
    nodeSelection(names, selector);
  } catch (e) {
    if (e instanceof NodeSelectionError) throw new UsageError(e.problem === 'none' ? usage : e.message);
    throw e;
  }
}

async function reportSurges(client: KubeClient, nodes: string[], putBack: boolean, say: (line: string) => void): Promise<void> {
  const outstanding = (await outstandingSurges(client)).filter((s) => nodes.includes(s.journal.node));
  if (!outstanding.length) return;
  if (putBack) await restoreSurges(client, nodes, (_w, line) => say(line));
  else for (const s of outstanding) say(surgeNotice(s));
}

export function registerCordon(program: Command, io: Io, globals: () => GlobalFlags): void {
  const cmd = cordonCommand(program, true, io, globals);
  examples(cmd, [
    ['Mark node "node01" as unschedulable', 'upkeep cordon node01'],
    ['Mark the nodes labelled pool=batch as unschedulable', 'upkeep cordon -l pool=batch'],
    ['Show what would change, changing nothing', 'upkeep cordon node01 --dry-run=client'],
  ]);
}

export function registerUncordon(program: Command, io: Io, globals: () => GlobalFlags): void {
  const cmd = cordonCommand(program, false, io, globals);
  examples(cmd, [
    ['Mark node "node01" as schedulable again', 'upkeep uncordon node01'],
    ['Uncordon a node that someone else cordoned', 'upkeep uncordon node01 --force'],
  ]);
}

function cordonCommand(program: Command, desired: boolean, io: Io, globals: () => GlobalFlags) {
  const verb = desired ? 'cordon' : 'uncordon';
  const cmd = program
    .command(`${verb} [nodes...]`)
    .description(desired ? 'Mark node as unschedulable (recording that upkeep did it)' : 'Mark node as schedulable (only nodes upkeep cordoned, unless --force)')
    .addOption(new Option('-l, --selector <selector>', 'Selector (label query) to filter on'))
    .addOption(new Option('--dry-run [mode]', 'Must be "none", "server", or "client". client: print only; server: submit with dryRun=All'));
  if (!desired) cmd.addOption(new Option('--force', 'Uncordon even a node that someone else cordoned'));
  return cmd.action(async (names, opts) => {
    const dryRun = parseDryRun(opts.dryRun);
    const format = parseOutput(globals().output, ['table', 'json', 'yaml', 'name']);
    nodeSelectionFlags(names, opts.selector, `USAGE: ${verb} NODE [flags] (or -l SELECTOR)`);
    const force = 'force' in opts && opts.force === true;
    const client = await clientFromFlags(globals(), io);
    const nodes = await resolveNodes(client, names, opts.selector);
    if (!nodes.length) {
      io.err('No resources found\n');
      return;
    }
    const results: CordonResult[] = [];
    let failed = 0;
    for (const node of nodes) {
      try {
        const r = await setCordon(client, node, desired, { dryRun, force });
        results.push(r);
        if (r.refused) io.err(`error: ${r.refused}\n`);
        else if (format === 'table' || format === 'name') io.out(`${r.line}\n`);
        // Schedulable again, but nothing starts there until its kubelet reports Ready.
        if (!desired && !r.refused && !isNodeReady(node)) io.err(`Warning: node/${node.metadata.name} is NotReady: pods scheduled to it will not start until its kubelet reports Ready\n`);
      } catch (e) {
        failed++;
        io.err(`error: unable to ${verb} node "${node.metadata.name}": ${e instanceof Error ? e.message : String(e)}\n`);
      }
    }
    const list = outputObject('NodeCordonList', {
      items: results.map((r) => ({ object: { kind: 'Node', name: r.node }, unschedulable: desired, changed: r.changed, dryRun, ...(r.refused ? { refused: r.refused } : {}) })),
    });
    if (format === 'json') io.out(toJson(list));
    if (format === 'yaml') io.out(toYaml(list));
    // A Deployment an interrupted drain --surge left scaled up: uncordon finishes the put-back
    // for the nodes it uncordoned; cordon says what is outstanding.
    await reportSurges(client, nodes.map((n) => n.metadata.name ?? ''), !desired && dryRun === 'none', (line) => io.err(`${line}\n`));
    const refused = results.filter((r) => r.refused);
    if (failed) throw new ExitError(1);
    else if (refused.length) throw new BlockedError(`${refused.length} node(s) left cordoned: ${refused.map((r) => r.node).join(', ')}`);
  });
}
