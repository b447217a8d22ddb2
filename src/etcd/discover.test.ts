import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from '../api/types.js';
import { analyzeEtcdPods, parseFlags } from './discover.js';

function pod(name: string, component: string, node: string, command: string[], volumes: Array<[string, string, string]> = []): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'kube-system', labels: { component, tier: 'control-plane' } },
    spec: {
      nodeName: node,
      containers: [{ name: component, image: `registry.k8s.io/${component}:v1`, command, volumeMounts: volumes.map(([n, mount]) => ({ name: n, mountPath: mount })) }],
      volumes: volumes.map(([n, , host]) => ({ name: n, hostPath: { path: host, type: 'DirectoryOrCreate' } })),
    },
  };
}

const etcdPod = (node: string, ip: string, dataHost = '/var/lib/etcd') =>
  pod(
    `etcd-${node}`,
    'etcd',
    node,
    [
      'etcd',
      `--advertise-client-urls=https://${ip}:2379`,
      '--cert-file=/etc/kubernetes/pki/etcd/server.crt',
      '--client-cert-auth=true',
      '--data-dir=/var/lib/etcd',
      '--key-file=/etc/kubernetes/pki/etcd/server.key',
      `--listen-client-urls=https://127.0.0.1:2379,https://${ip}:2379`,
      `--name=${node}`,
      '--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt',
    ],
    [
      ['etcd-certs', '/etc/kubernetes/pki/etcd', '/etc/kubernetes/pki/etcd'],
      ['etcd-data', '/var/lib/etcd', dataHost],
    ],
  );
const apiPod = (node: string, servers: string) =>
  pod(`kube-apiserver-${node}`, 'kube-apiserver', node, [
    'kube-apiserver',
    '--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt',
    '--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt',
    '--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key',
    `--etcd-servers=${servers}`,
  ]);

describe('etcd discovery from kube-system pods', () => {
  it('kubeadm stacked: the etcd pod, its data dir and certificates, and the save command', () => {
    const d = analyzeEtcdPods([etcdPod('controlplane', '192.168.1.10', '/var/lib/etcd-from-backup'), apiPod('controlplane', 'https://127.0.0.1:2379')]);
    assert.equal(d.topology, 'stacked');
    assert.match(d.reason, /static pod in kube-system \(etcd-controlplane\) and the API server uses it/);
    assert.deepEqual(d.endpoints, ['https://127.0.0.1:2379']);
    assert.equal(d.members[0].dataDir, '/var/lib/etcd');
    assert.equal(d.members[0].dataHostPath, '/var/lib/etcd-from-backup', 'the host path a restore repoints');
    assert.equal(d.members[0].certFile, '/etc/kubernetes/pki/etcd/server.crt');
    assert.equal(d.cert, '/etc/kubernetes/pki/apiserver-etcd-client.crt', "the API server's client certificate");
    assert.match(d.saveCommand ?? '', /^upkeep etcd snapshot save \/var\/backups\/etcd-snapshot-\S+ \S+\.db --endpoints=https:\/\/127\.0\.0\.1:2379 --cacert=\/etc\/kubernetes\/pki\/etcd\/ca\.crt --cert=\/etc\/kubernetes\/pki\/apiserver-etcd-client\.crt --key=\/etc\/kubernetes\/pki\/apiserver-etcd-client\.key$/);
    assert.match(d.etcdctlCommand ?? '', /^ETCDCTL_API=3 etcdctl --endpoints=https:\/\/127\.0\.0\.1:2379 .* snapshot save /);
    assert.match(d.runOn ?? '', /control-plane node controlplane/);
  });

  it('stacked with three control-plane nodes: three members, all their endpoints for the member list', () => {
    const pods = [etcdPod('cp1', '10.0.0.1'), etcdPod('cp2', '10.0.0.2'), etcdPod('cp3', '10.0.0.3'), apiPod('cp1', 'https://127.0.0.1:2379')];
    const d = analyzeEtcdPods(pods);
    assert.equal(d.topology, 'stacked');
    assert.equal(d.members.length, 3);
    assert.deepEqual(d.warnings, []);
  });

  it('external: the API server points at hosts that run no etcd pod', () => {
    const d = analyzeEtcdPods([apiPod('cp1', 'https://10.0.0.100:2379,https://10.0.0.101:2379,https://10.0.0.102:2379')]);
    assert.equal(d.topology, 'external');
    assert.match(d.reason, /points outside the cluster's etcd pods: https:\/\/10\.0\.0\.100:2379/);
    assert.deepEqual(d.endpoints, ['https://10.0.0.100:2379', 'https://10.0.0.101:2379', 'https://10.0.0.102:2379']);
    assert.match(d.membersCommand ?? '', /--endpoints=https:\/\/10\.0\.0\.100:2379,https:\/\/10\.0\.0\.101:2379,https:\/\/10\.0\.0\.102:2379/);
  });

  it('no etcd pod and the API server on loopback: etcd runs on the control-plane host, outside kube-system', () => {
    const d = analyzeEtcdPods([apiPod('cp1', 'http://127.0.0.1:23790')]);
    assert.equal(d.topology, 'external');
    assert.equal(d.reason, "no etcd pod in kube-system; the API server's --etcd-servers names it on its own host: http://127.0.0.1:23790");
    assert.deepEqual(d.endpoints, ['http://127.0.0.1:23790']);
  });

  it("stacked on the node's own address counts as stacked, not external", () => {
    const node: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'cp1' }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] } };
    const d = analyzeEtcdPods([etcdPod('cp1', '10.0.0.1'), apiPod('cp1', 'https://10.0.0.1:2379')], [node]);
    assert.equal(d.topology, 'stacked');
  });

  it('a managed control plane: no pods to read, and says why', () => {
    const d = analyzeEtcdPods([]);
    assert.equal(d.topology, 'unknown');
    assert.match(d.reason, /managed control plane/);
    assert.equal(d.saveCommand, undefined);
  });

  it('reads --flag=value and --flag value', () => {
    assert.deepEqual([...parseFlags(['etcd', '--name', 'a', '--data-dir=/d', '--client-cert-auth'])], [['name', 'a'], ['data-dir', '/d'], ['client-cert-auth', 'true']]);
  });
});
