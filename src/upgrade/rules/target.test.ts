import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterVersions, Finding } from '../plan.js';
import { formatVersion, parseVersion as v } from '../version.js';
import {
  type TargetContext,
  type TargetRule,
  alreadyAtTarget,
  differentMajor,
  downgrade,
  latestPatchFirst,
  oneMinorAtATime,
  preRelease,
  resolveTarget,
  targetRefusal,
  targetRelease,
} from './target.js';
import { RELEASES_AS_OF, newestKnownMinor } from '../releases.js';

// Each target rule alone: a cluster (control plane and kubelets), the target asked for, and the
// findings, with the target the plan stops at when the rule ends planning.

const TODAY = new Date('2026-11-21T12:00:00Z');

function context(controlPlane: string, target: string, kubelets: string[] = [controlPlane]): TargetContext {
  const cp = [{ node: 'cp', version: v(controlPlane) }];
  const cluster: ClusterVersions = {
    apiservers: cp,
    controllerManagers: cp,
    schedulers: cp,
    etcd: { topology: 'stacked', members: [] },
    kubelets: kubelets.map((k, i) => ({ node: `n${i}`, version: v(k), controlPlane: false })),
    serverVersion: v(controlPlane),
  };
  return { cluster, apiservers: cp, current: v(controlPlane), base: v(controlPlane), asked: v(target), resolved: resolveTarget(v(target), v(controlPlane)), today: TODAY };
}

const finding = (f: Finding) => `${f.severity} ${f.code}`;

interface Case {
  cp: string;
  target: string;
  kubelets?: string[];
  expect: string[];
  stop?: string;
}

function table(rule: TargetRule, cases: Case[]): void {
  for (const c of cases) {
    it(`${c.cp} -> ${c.target}${c.kubelets ? ` (kubelets ${c.kubelets.join(', ')})` : ''}: ${c.expect.join(', ') || 'nothing'}${c.stop ? `, stops at ${c.stop}` : ''}`, () => {
      const r = rule(context(c.cp, c.target, c.kubelets));
      assert.deepEqual(r.findings.map(finding), c.expect);
      assert.equal(r.stop && formatVersion(r.stop), c.stop);
    });
  }
}

describe('resolveTarget: a bare minor is its latest known patch', () => {
  const cases: Array<[string, string, string]> = [
    ['v1.31.4', 'v1.32', 'v1.32.13'],
    ['v1.31.4', 'v1.32.2', 'v1.32.2'],
    ['v1.36.7', 'v1.36', 'v1.36.7'], // the cluster is past the table's patch: stay on what runs
    ['v1.37.1', 'v1.40', 'v1.40'], // unknown to the table: the minor as asked
  ];
  for (const [cp, target, resolved] of cases) it(`${cp} -> ${target} = ${resolved}`, () => assert.equal(formatVersion(resolveTarget(v(target), v(cp))), resolved));
});

describe('target rule differentMajor', () =>
  table(differentMajor, [
    { cp: 'v1.36.5', target: 'v2.0.0', expect: ['blocking UnsupportedTarget'], stop: 'v2.0.0' },
    { cp: 'v1.36.5', target: 'v1.37', expect: [] },
  ]));

describe('target rule downgrade', () => {
  table(downgrade, [
    { cp: 'v1.31.4', target: 'v1.30', expect: ['blocking Downgrade'], stop: 'v1.30' },
    { cp: 'v1.36.4', target: 'v1.36.2', expect: ['blocking Downgrade'], stop: 'v1.36.2' },
    { cp: 'v1.36.4', target: 'v1.36', expect: [] },
    { cp: 'v1.36.4', target: 'v1.36.4', expect: [] },
  ]);
  it('a minor downgrade: restore the snapshot; a patch one: choose another target', () => {
    assert.deepEqual(downgrade(context('v1.31.4', 'v1.30')).findings[0], {
      severity: 'blocking',
      code: 'Downgrade',
      message: 'Specified version "v1.30" is lower than the cluster version v1.31.4; upkeep plans upgrades only.',
      fix: 'Control-plane minor downgrades are not supported (etcd may already hold objects only the newer version understands): to go back, restore the etcd snapshot taken before the upgrade. Otherwise choose a target at or above v1.31.4.',
    });
    assert.equal(
      downgrade(context('v1.36.4', 'v1.36.2')).findings[0].fix,
      'Choose a target at or above v1.36.4 (or plan with no target to check the cluster as it is).',
    );
  });
});

describe('target rule targetRelease: what the release table knows of the target (on 2026-11-21)', () => {
  table(targetRelease, [
    { cp: 'v1.36.5', target: 'v1.40', expect: ['blocking UnknownVersion'], stop: 'v1.40' },
    { cp: 'v1.36.5', target: 'v1.36.9', expect: ['warning UnknownPatch'] },
    { cp: 'v1.32.13', target: 'v1.33', expect: ['warning TargetEndOfLife'] },
    { cp: 'v1.32.13', target: 'v1.33.99', expect: ['warning UnknownPatch', 'warning TargetEndOfLife'] },
    { cp: 'v1.34.12', target: 'v1.35', expect: [] },
  ]);
  it('names the table date and the newest minor it knows', () => {
    assert.equal(
      targetRelease(context('v1.36.5', 'v1.40')).findings[0].message,
      "v1.40 is not in upkeep's release table (as of 2026-09-28; newest known v1.37): upkeep cannot confirm it exists, nor which patch, etcd and CoreDNS it brings, nor which APIs it removes.",
    );
    assert.equal(targetRelease(context('v1.32.13', 'v1.33')).findings[0].fix, 'Upgrade further, to a supported minor (v1.37, v1.36, v1.35).');
  });
});

describe('target rule preRelease', () => {
  table(preRelease, [
    { cp: 'v1.36.5', target: 'v1.37.0-rc.1', expect: ['warning PreReleaseTarget'] },
    { cp: 'v1.36.5', target: 'v1.37.0-alpha.2', expect: ['warning PreReleaseTarget'] },
    { cp: 'v1.36.5', target: 'v1.37.1', expect: [] },
  ]);
  it('names the kubeadm flag', () => {
    assert.match(preRelease(context('v1.36.5', 'v1.37.0-rc.1')).findings[0].fix, /--allow-release-candidate-upgrades/);
    assert.match(preRelease(context('v1.36.5', 'v1.37.0-alpha.2')).findings[0].fix, /--allow-experimental-upgrades/);
  });
});

describe('target rule alreadyAtTarget', () =>
  table(alreadyAtTarget, [
    { cp: 'v1.35.9', target: 'v1.35', expect: ['info AlreadyAtTarget'], stop: 'v1.35.9' },
    { cp: 'v1.35.9', target: 'v1.35.9', kubelets: ['v1.35.9', 'v1.36.1'], expect: ['info AlreadyAtTarget'], stop: 'v1.35.9' },
    { cp: 'v1.35.9', target: 'v1.35', kubelets: ['v1.35.4'], expect: [] },
    { cp: 'v1.35.9', target: 'v1.36', expect: [] },
  ]));

describe('target rule latestPatchFirst', () => {
  table(latestPatchFirst, [
    { cp: 'v1.35.2', target: 'v1.36', expect: ['info LatestPatchFirst'] },
    { cp: 'v1.35.9', target: 'v1.36', expect: [] },
    { cp: 'v1.35.2', target: 'v1.35', expect: [] },
  ]);
  it('names the patch', () => assert.equal(latestPatchFirst(context('v1.35.2', 'v1.36')).findings[0].fix, 'Optionally kubeadm upgrade apply v1.35.9 first.'));
});

describe('oneMinorAtATime', () => {
  const hopTo = (to: string) => ({ to: v(to) });
  it('several hops: says so, with each control-plane target', () => {
    assert.deepEqual(oneMinorAtATime(v('v1.34.12'), v('v1.36.5'), [hopTo('v1.35.9'), hopTo('v1.36.5')]), [
      {
        severity: 'info',
        code: 'OneMinorAtATime',
        message: 'kube-apiserver must not skip minor versions, even in a single-instance cluster: v1.34 to v1.36 takes 2 control-plane upgrades (v1.35.9, v1.36.5).',
        fix: 'Run the hops in order; each one is a complete kubeadm upgrade (plan, apply on the first control-plane node, upgrade node on the others).',
      },
    ]);
  });
  it('one hop: nothing', () => assert.deepEqual(oneMinorAtATime(v('v1.35.9'), v('v1.36.5'), [hopTo('v1.36.5')]), []));
});

describe('targetRefusal: targets refused before planning, as kubeadm refuses them', () => {
  const table: Array<[string, string, string | undefined]> = [
    ['v1.36.5', 'v1.37', undefined],
    ['v1.36.5', 'v1.36.5', undefined],
    ['v1.36.5', 'v1.36.2', 'Specified version to upgrade to "v1.36.2" is lower than the cluster version "v1.36.5": downgrades are not supported (to go back, restore the etcd snapshot taken before the upgrade)'],
    ['v1.30.0', 'v1.29', 'Specified version to upgrade to "v1.29" is lower than the cluster version "v1.30.0": downgrades are not supported (to go back, restore the etcd snapshot taken before the upgrade)'],
    ['v1.30.0', 'v2.0.0', 'Specified version to upgrade to "v2.0.0" has a different major version than the cluster version "v1.30.0"'],
    ['v1.30.0', 'v1.99.0', `Specified version to upgrade to "v1.99.0" is beyond upkeep's release table (newest known v${newestKnownMinor()}, as of ${RELEASES_AS_OF}): choose a target up to v${newestKnownMinor()}, or update upkeep`],
    ['v1.30.0', 'v1.38', `Specified version to upgrade to "v1.38" is beyond upkeep's release table (newest known v${newestKnownMinor()}, as of ${RELEASES_AS_OF}): choose a target up to v${newestKnownMinor()}, or update upkeep`],
  ];
  for (const [cluster, target, want] of table) {
    it(`${cluster} -> ${target}`, () => assert.equal(targetRefusal(v(target), v(cluster)), want));
  }
});
