import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonSet, Deployment, KubeObject, Node, Pod, PodTemplateSpec } from '../api/types.js';
import { clusterVersionsFrom, flagValue, usagesOf, type DiscoverySnapshot } from './discover.js';
import { formatVersion, type Version } from './version.js';

type NodeSystemInfo = NonNullable<NonNullable<Node['status']>['nodeInfo']>;

// What kubeadm's plan reads: mirror pods of the static control plane per node, the nodes'
// kubeletVersion, the kube-proxy DaemonSet and CoreDNS Deployment images, /version.

/** What a kubelet reports about its node; only the versions and the OS matter here. */
function nodeInfo(kubeletVersion: string, osImage: string): NodeSystemInfo {
  const unread = { architecture: 'amd64', bootID: '', containerRuntimeVersion: '', kernelVersion: '', kubeProxyVersion: '', machineID: '', operatingSystem: 'linux', systemUUID: '' };
  return { ...unread, kubeletVersion, osImage };
}

function node(name: string, kubeletVersion: string, cp = false, osImage = 'Debian GNU/Linux 12 (bookworm)'): Node {
  return {
    metadata: { name, labels: cp ? { 'node-role.kubernetes.io/control-plane': '' } : {} },
    spec: {},
    status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: nodeInfo(kubeletVersion, osImage) },
  };
}

function staticPod(component: string, nodeName: string, tag: string, command: string[] = []): Pod {
  return {
    metadata: { name: `${component}-${nodeName}`, namespace: 'kube-system', labels: { component, tier: 'control-plane' } },
    spec: { nodeName, containers: [{ name: component, image: tag.startsWith('@') ? `registry.k8s.io/${component}${tag}` : `registry.k8s.io/${component}:${tag}`, command: [component, ...command] }] },
  };
}

function template(container: string, image: string): PodTemplateSpec {
  return { spec: { containers: [{ name: container, image }] } };
}

function daemonSet(name: string, container: string, image: string): DaemonSet {
  return { kind: 'DaemonSet', metadata: { name, namespace: 'kube-system' }, spec: { selector: {}, template: template(container, image) } };
}

function deployment(name: string, container: string, image: string): Deployment {
  return { kind: 'Deployment', metadata: { name, namespace: 'kube-system' }, spec: { selector: {}, template: template(container, image) } };
}

function controlPlane(nodeName: string, version: string, etcd: string | null): Pod[] {
  const pods = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].map((c) =>
    staticPod(c, nodeName, version, c === 'kube-apiserver' ? [`--etcd-servers=${etcd ? 'https://127.0.0.1:2379' : 'https://10.0.0.100:2379,https://10.0.0.101:2379'}`] : []),
  );
  if (etcd) pods.push(staticPod('etcd', nodeName, etcd));
  return pods;
}

function snapshot(over: Partial<DiscoverySnapshot> = {}): DiscoverySnapshot {
  return {
    nodes: [node('controlplane', 'v1.31.4', true), node('node01', 'v1.31.4'), node('node02', 'v1.30.6')],
    controlPlanePods: controlPlane('controlplane', 'v1.31.4', '3.5.15-0'),
    kubeProxy: daemonSet('kube-proxy', 'kube-proxy', 'registry.k8s.io/kube-proxy:v1.31.4'),
    dnsDeployments: [deployment('coredns', 'coredns', 'registry.k8s.io/coredns/coredns:v1.11.3')],
    serverVersion: 'v1.31.4',
    ...over,
  };
}

const versions = (xs: Array<{ node: string; version: Version }>) => xs.map((x) => `${x.node}=${formatVersion(x.version)}`);

describe('cluster versions as kubeadm discovers them', () => {
  it('a single control-plane node with stacked etcd and a worker a minor behind', () => {
    const c = clusterVersionsFrom(snapshot());
    assert.deepEqual(versions(c.apiservers), ['controlplane=v1.31.4']);
    assert.deepEqual(versions(c.controllerManagers), ['controlplane=v1.31.4']);
    assert.deepEqual(versions(c.schedulers), ['controlplane=v1.31.4']);
    assert.deepEqual(c.etcd, { topology: 'stacked', members: [{ node: 'controlplane', version: '3.5.15-0' }] });
    assert.deepEqual(
      c.kubelets.map((k) => `${k.node}=${formatVersion(k.version)}${k.controlPlane ? ' (control plane)' : ''}`),
      ['controlplane=v1.31.4 (control plane)', 'node01=v1.31.4', 'node02=v1.30.6'],
    );
    assert.equal(c.kubeProxy && formatVersion(c.kubeProxy), 'v1.31.4');
    assert.equal(c.coreDNS, 'v1.11.3');
    assert.equal(formatVersion(c.serverVersion), 'v1.31.4');
    assert.equal(c.staticPodControlPlane, true);
    assert.deepEqual(c.unreadable, []);
  });

  it('an HA control plane mid-upgrade: one apiserver per node, at two minors', () => {
    const c = clusterVersionsFrom(
      snapshot({
        nodes: [node('cp1', 'v1.31.4', true), node('cp2', 'v1.30.6', true), node('cp3', 'v1.30.6', true), node('node01', 'v1.30.6')],
        controlPlanePods: [...controlPlane('cp2', 'v1.30.6', '3.5.15-0'), ...controlPlane('cp1', 'v1.31.4', '3.5.15-0'), ...controlPlane('cp3', 'v1.30.6', '3.5.15-0')],
      }),
    );
    assert.deepEqual(versions(c.apiservers), ['cp1=v1.31.4', 'cp2=v1.30.6', 'cp3=v1.30.6']);
    assert.deepEqual(versions(c.schedulers), ['cp1=v1.31.4', 'cp2=v1.30.6', 'cp3=v1.30.6']);
    assert.deepEqual(c.etcd.members.map((m) => m.node), ['cp1', 'cp2', 'cp3']);
    assert.deepEqual(c.nodes.filter((n) => n.controlPlane).map((n) => n.name), ['cp1', 'cp2', 'cp3']);
  });

  it('no etcd pods: external etcd, found through the apiserver\'s --etcd-servers', () => {
    const c = clusterVersionsFrom(snapshot({ controlPlanePods: controlPlane('controlplane', 'v1.31.4', null) }));
    assert.deepEqual(c.etcd, { topology: 'external', members: [] });
    assert.deepEqual(c.etcdEndpoints, ['https://10.0.0.100:2379', 'https://10.0.0.101:2379']);
  });

  it('no static pods (a managed control plane): the apiserver version is /version', () => {
    const c = clusterVersionsFrom(snapshot({ controlPlanePods: [], serverVersion: 'v1.30.4-eks-a737599', nodes: [node('ip-10-0-1-5', 'v1.30.4-eks-a737599')] }));
    assert.equal(c.staticPodControlPlane, false);
    assert.deepEqual(versions(c.apiservers), ['=v1.30.4-eks-a737599']);
    assert.deepEqual(c.controllerManagers, []);
    assert.equal(c.kubelets[0].version.minor, 30);
  });

  it('a digest-only image cannot say its version: left out and reported', () => {
    const pods = controlPlane('controlplane', 'v1.31.4', '3.5.15-0');
    pods[2] = staticPod('kube-scheduler', 'controlplane', '@sha256:0123');
    const c = clusterVersionsFrom(snapshot({ controlPlanePods: pods, kubeProxy: undefined }));
    assert.deepEqual(c.schedulers, []);
    assert.deepEqual(c.unreadable, [{ component: 'kube-scheduler', node: 'controlplane', image: 'registry.k8s.io/kube-scheduler@sha256:0123' }]);
    assert.equal(c.kubeProxy, undefined);
  });
});

describe('flags', () => {
  it('reads a flag in either form', () => {
    assert.equal(flagValue(['kube-apiserver', '--etcd-servers=https://a:2379'], '--etcd-servers'), 'https://a:2379');
    assert.equal(flagValue(['kube-apiserver', '--etcd-servers', 'https://b:2379'], '--etcd-servers'), 'https://b:2379');
    assert.equal(flagValue(['kube-apiserver'], '--etcd-servers'), undefined);
  });
});

describe('API usages of a stored object', () => {
  const wanted = new Set(['flowcontrol.apiserver.k8s.io/v1beta3|FlowSchema']);
  it('finds the removed apiVersion in last-applied and managedFields, once each', () => {
    const obj: KubeObject = {
      metadata: {
        name: 'probes',
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta3', kind: 'FlowSchema' }) },
        managedFields: [
          { manager: 'kubectl-client-side-apply', apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta3' },
          { manager: 'kubectl-edit', apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta3' },
          { manager: 'api-priority-and-fairness-config-consumer-v1', apiVersion: 'flowcontrol.apiserver.k8s.io/v1' },
        ],
      },
    };
    assert.deepEqual(usagesOf(obj, 'FlowSchema', wanted), [
      { kind: 'FlowSchema', name: 'probes', apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta3', source: 'last-applied' },
      { kind: 'FlowSchema', name: 'probes', apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta3', source: 'managedFields' },
    ]);
  });
  it('an object written with the current version shows nothing', () => {
    const obj: KubeObject = { metadata: { name: 'x', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"apiVersion":"flowcontrol.apiserver.k8s.io/v1"}' } } };
    assert.deepEqual(usagesOf(obj, 'FlowSchema', wanted), []);
  });
});
