// A long drain as a person watches it in a terminal (tmux): the live line says what the drain
// waits for now (the pod, the budget, the numbers; pods still terminating), the time waited and the --timeout left, and
// it is redrawn in place on one line rather than scrolling.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestSandbox } from './helpers/sandbox.js';
import { seedSandbox } from './helpers/seed-sandbox.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SESSION = `upkeep-live-line-${process.pid}`;

function tmux(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => execFile('tmux', args, (err, stdout) => resolve({ code: err ? 1 : 0, stdout })));
}

const BUDGET = `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: blue-pdb, namespace: default}
spec:
  minAvailable: 3
  selector: {matchLabels: {app: blue}}
`;

describe('the live line of a drain held by a budget', () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await seedSandbox();
    const applied = await sb.kubectl(['apply', '-f', '-'], { input: BUDGET });
    assert.equal(applied.code, 0, applied.stderr);
  });
  after(async () => {
    await tmux(['kill-session', '-t', SESSION]);
    await tmux(['kill-session', '-t', `${SESSION}-held`]);
    await sb?.stop();
  });

  it('says what it waits for, for how long, and redraws in place', async () => {
    const pods = await sb.kubectl(['get', 'pods', '-l', 'app=blue', '-o', 'jsonpath={.items[0].spec.nodeName}']);
    const node = pods.stdout.trim();
    assert.match(node, /^node0\d$/);
    const command = [process.execPath, path.join(ROOT, 'bin/upkeep'), '--kubeconfig', sb.kubeconfig, 'drain', node, '--ignore-daemonsets', '--force', '--delete-emptydir-data', '--timeout', '5m'].join(' ');
    const started = await tmux(['new-session', '-d', '-s', SESSION, '-x', '200', '-y', '30', `${command}; sleep 600`]);
    assert.equal(started.code, 0);
    let screen = '';
    for (let i = 0; i < 120 && !/of --timeout left/.test(screen); i++) {
      await new Promise((r) => setTimeout(r, 500));
      screen = (await tmux(['capture-pane', '-p', '-t', SESSION])).stdout;
    }
    const live = screen.split('\n').filter((l) => l.startsWith('waiting to evict'));
    assert.equal(live.length, 1, screen);
    assert.match(live[0]!, /^waiting to evict default\/blue-\S+: PodDisruptionBudget default\/blue-pdb allows no disruption now \(needs 3 healthy, has 3\); attempt \d+(; \d+ terminating)?; \d+s elapsed, 4m\d+s of --timeout left$/);
    // A second look: the same single line, redrawn (not a new line per attempt).
    await new Promise((r) => setTimeout(r, 2500));
    const later = (await tmux(['capture-pane', '-p', '-t', SESSION])).stdout;
    assert.equal(later.split('\n').filter((l) => l.startsWith('waiting to evict')).length, 1, later);
  });

  it('once the eviction is accepted, names the pod still terminating with its grace period', async () => {
    // A pod held by a finalizer stays terminating after its eviction: the drain waits for it.
    const held = `apiVersion: v1
kind: Pod
metadata: {name: held, namespace: default, labels: {app: held}, finalizers: [upkeep.dev/test-hold]}
spec:
  nodeName: node03
  terminationGracePeriodSeconds: 45
  containers: [{name: app, image: nginx}]
`;
    const created = await sb.kubectl(['apply', '-f', '-'], { input: held });
    assert.equal(created.code, 0, created.stderr);
    const session = `${SESSION}-held`;
    const command = [process.execPath, path.join(ROOT, 'bin/upkeep'), '--kubeconfig', sb.kubeconfig, 'drain', 'node03', '--pod-selector', 'app=held', '--force', '--timeout', '5m'].join(' ');
    const started = await tmux(['new-session', '-d', '-s', session, '-x', '200', '-y', '30', `${command}; sleep 600`]);
    assert.equal(started.code, 0);
    let screen = '';
    for (let i = 0; i < 120 && !/waiting for 1 pod to terminate.*of --timeout left/.test(screen); i++) {
      await new Promise((r) => setTimeout(r, 500));
      screen = (await tmux(['capture-pane', '-p', '-t', session])).stdout;
    }
    const lines = screen.split('\n');
    assert.ok(lines.includes('evicting pod default/held'), screen);
    const live = lines.filter((l) => l.startsWith('waiting for'));
    assert.equal(live.length, 1, screen);
    assert.match(live[0]!, /^waiting for 1 pod to terminate: default\/held \(grace period 45s\); \d+s elapsed, 4m\d+s of --timeout left$/);
    assert.equal(lines.filter((l) => l.startsWith('waiting to evict')).length, 0, screen);
  });
});
