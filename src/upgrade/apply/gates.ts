// The gates between steps. Pure: the skew policy checked on the versions a wave leaves behind
// (the plan's own rules, skew.ts), and the readiness decisions on a Node and the control-plane
// static pods. The executor reads the objects and waits; this file only decides.
import { isNodeReady, kubeletVersion } from '../../api/nodes.js';
import { isPodReady } from '../../api/pods.js';
import type { Node, Pod } from '../../api/types.js';
import { controlPlaneComponent, imageTag } from '../discover.js';
import type { ClusterVersions } from '../plan.js';
import { checkSkew, type ComponentVersion, type SkewViolation } from '../skew.js';
import { parseVersion, tryParseVersion } from '../version.js';

/** A node's move in a wave: its kubelet to `to`, and its static pods too on a control-plane node. */
export interface Move {
  node: string;
  to: string;
  staticPods: boolean;
}

function components(c: ClusterVersions, moves: readonly Move[]): ComponentVersion[] {
  const moved = new Map(moves.map((m) => [m.node, m]));
  const cp = (kind: ComponentVersion['component'], list: ClusterVersions['apiservers']): ComponentVersion[] =>
    list.map((i) => ({ component: kind, node: i.node, version: moved.get(i.node)?.staticPods ? parseVersion(moved.get(i.node)?.to ?? '') : i.version }));
  const out: ComponentVersion[] = [
    ...cp('kube-apiserver', c.apiservers.length ? c.apiservers : [{ node: '', version: c.serverVersion }]),
    ...cp('kube-controller-manager', c.controllerManagers),
    ...cp('kube-scheduler', c.schedulers),
  ];
  for (const k of c.kubelets) {
    const to = tryParseVersion(moved.get(k.node)?.to);
    out.push({ component: 'kubelet', node: k.node, version: to ?? k.version });
  }
  return out;
}

function key(v: SkewViolation): string {
  return `${v.component}/${v.node ?? ''}/${v.code ?? ''}`;
}

/**
 * The skew violations a wave would introduce: those that hold with the moves applied and did not
 * hold before (a cluster already out of policy is the plan's finding, not this wave's fault).
 */
export function skewViolations(cluster: ClusterVersions, moves: readonly Move[]): SkewViolation[] {
  const before = new Set(checkSkew(components(cluster, [])).map(key));
  // kubeadm's procedure upgrades a control-plane node's kubelet right after its own static pods,
  // while the other control-plane nodes still run the older apiserver: that kubelet follows the
  // apiserver on its node (kubeadm's ControlPlaneKubeletLocalMode, KEP-4471), which the plan allows.
  const withOwnApiserver = new Set(moves.filter((m) => m.staticPods).map((m) => m.node));
  return checkSkew(components(cluster, moves)).filter(
    (v) => v.severity === 'blocking' && !before.has(key(v)) && !(v.component === 'kubelet' && v.direction === 'too-new' && withOwnApiserver.has(v.node ?? '')),
  );
}

/** Why a node is not yet back, or undefined when it is: Ready at the wanted kubelet version. */
export function nodeNotBack(node: Node | undefined, version: string | undefined): string | undefined {
  if (!node) return 'the Node object is gone';
  if (!isNodeReady(node)) return 'not Ready';
  const at = kubeletVersion(node);
  if (version && at !== version) return `kubelet at ${at ?? 'an unknown version'}, not ${version}`;
  return undefined;
}

/** Why a control-plane node's static pods are not yet at `version` and Ready, or undefined when they are. */
export function controlPlaneNotBack(pods: readonly Pod[], node: string, version: string): string | undefined {
  const mine = pods.filter((p) => p.spec?.nodeName === node && controlPlaneComponent(p) && controlPlaneComponent(p) !== 'etcd');
  if (mine.length === 0) return `no control-plane static pods on ${node}`;
  const late = mine.filter((p) => {
    const image = p.spec?.containers[0]?.image ?? '';
    return imageTag(image) !== version || !isPodReady(p) || p.status?.phase !== 'Running';
  });
  return late.length ? `${late.map((p) => p.metadata.name).join(', ')} not Running and Ready at ${version}` : undefined;
}
