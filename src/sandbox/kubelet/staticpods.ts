// kubeadm's static pods on a control-plane node, as their mirror pods appear in kube-system:
// the images, labels, annotations and command-line flags kubeadm writes into
// /etc/kubernetes/manifests, so discovery (etcd endpoints and certificates, component versions)
// reads them exactly as it would on a kubeadm cluster.
import { createHash } from 'node:crypto';
import type { Node, Pod } from '../../api/types.js';
import { MIRROR_POD_ANNOTATION } from '../../api/pods.js';
import type { Scenario } from '../scenario/scenario.js';

export interface EtcdInfo {
  topology: 'stacked' | 'external';
  version: string;
  /** Client URLs of external etcd (the apiserver's --etcd-servers); stacked uses the node's IP. */
  externalEndpoints?: string[];
}

/** The node's InternalIP address, if it reports one. */
export function nodeInternalIP(node: Node): string | undefined {
  return node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
}

function mirrorPod(node: Node, component: string, image: string, command: string[], extraAnnotations: Record<string, string> = {}, hostPaths: Array<[string, string]> = []): Pod {
  const nodeName = node.metadata.name ?? '';
  // Like the kubelet's config hash: a digest of the manifest, so any change to it shows.
  const hash = createHash('sha256').update(`${component}|${image}|${command.join(' ')}`).digest('hex').slice(0, 32);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${component}-${nodeName}`,
      namespace: 'kube-system',
      labels: { component, tier: 'control-plane' },
      annotations: {
        'kubernetes.io/config.hash': hash,
        [MIRROR_POD_ANNOTATION]: hash,
        'kubernetes.io/config.seen': new Date().toISOString(),
        'kubernetes.io/config.source': 'file',
        ...extraAnnotations,
      },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: node.metadata.uid ?? '', controller: true }],
    },
    spec: {
      nodeName,
      hostNetwork: true,
      priorityClassName: 'system-node-critical',
      priority: 2000001000,
      tolerations: [{ operator: 'Exists', effect: 'NoExecute' }],
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: component,
          image,
          imagePullPolicy: 'IfNotPresent',
          command,
          volumeMounts: hostPaths.map(([name, path]) => ({ name, mountPath: path })),
        },
      ],
      volumes: hostPaths.map(([name, path]) => ({ name, hostPath: { path, type: 'DirectoryOrCreate' } })),
    },
  };
}

/** The static pods kubeadm runs on a control-plane node at a given Kubernetes version. */
export function staticPods(node: Node, version: string, scenario: Scenario, etcd: EtcdInfo): Pod[] {
  if (node.metadata.labels?.['node-role.kubernetes.io/control-plane'] === undefined) return [];
  const ip = nodeInternalIP(node) ?? '127.0.0.1';
  const registry = 'registry.k8s.io';
  const etcdServers = etcd.topology === 'external' ? (etcd.externalEndpoints ?? ['https://10.0.0.100:2379']).join(',') : 'https://127.0.0.1:2379';
  const pki = '/etc/kubernetes/pki';
  const apiserver = mirrorPod(
    node,
    'kube-apiserver',
    `${registry}/kube-apiserver:${version}`,
    [
      'kube-apiserver',
      `--advertise-address=${ip}`,
      '--allow-privileged=true',
      '--authorization-mode=Node,RBAC',
      `--client-ca-file=${pki}/ca.crt`,
      '--enable-admission-plugins=NodeRestriction',
      '--enable-bootstrap-token-auth=true',
      ...(etcd.topology === 'external'
        ? [`--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt`, `--etcd-certfile=${pki}/apiserver-etcd-client.crt`, `--etcd-keyfile=${pki}/apiserver-etcd-client.key`]
        : [`--etcd-cafile=${pki}/etcd/ca.crt`, `--etcd-certfile=${pki}/apiserver-etcd-client.crt`, `--etcd-keyfile=${pki}/apiserver-etcd-client.key`]),
      `--etcd-servers=${etcdServers}`,
      `--kubelet-client-certificate=${pki}/apiserver-kubelet-client.crt`,
      `--kubelet-client-key=${pki}/apiserver-kubelet-client.key`,
      '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname',
      `--proxy-client-cert-file=${pki}/front-proxy-client.crt`,
      `--proxy-client-key-file=${pki}/front-proxy-client.key`,
      '--requestheader-allowed-names=front-proxy-client',
      `--requestheader-client-ca-file=${pki}/front-proxy-ca.crt`,
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-username-headers=X-Remote-User',
      '--secure-port=6443',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki}/sa.pub`,
      `--service-account-signing-key-file=${pki}/sa.key`,
      '--service-cluster-ip-range=10.96.0.0/12',
      `--tls-cert-file=${pki}/apiserver.crt`,
      `--tls-private-key-file=${pki}/apiserver.key`,
    ],
    { 'kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint': `${ip}:6443` },
    [['ca-certs', '/etc/ssl/certs'], ['k8s-certs', pki]],
  );
  const controllerManager = mirrorPod(
    node,
    'kube-controller-manager',
    `${registry}/kube-controller-manager:${version}`,
    [
      'kube-controller-manager',
      '--allocate-node-cidrs=true',
      '--authentication-kubeconfig=/etc/kubernetes/controller-manager.conf',
      '--authorization-kubeconfig=/etc/kubernetes/controller-manager.conf',
      '--bind-address=127.0.0.1',
      `--client-ca-file=${pki}/ca.crt`,
      '--cluster-cidr=10.244.0.0/16',
      '--cluster-name=kubernetes',
      `--cluster-signing-cert-file=${pki}/ca.crt`,
      `--cluster-signing-key-file=${pki}/ca.key`,
      '--controllers=*,bootstrapsigner,tokencleaner',
      '--kubeconfig=/etc/kubernetes/controller-manager.conf',
      '--leader-elect=true',
      `--requestheader-client-ca-file=${pki}/front-proxy-ca.crt`,
      `--root-ca-file=${pki}/ca.crt`,
      `--service-account-private-key-file=${pki}/sa.key`,
      '--service-cluster-ip-range=10.96.0.0/12',
      '--use-service-account-credentials=true',
    ],
    {},
    [['k8s-certs', pki], ['kubeconfig', '/etc/kubernetes/controller-manager.conf']],
  );
  const scheduler = mirrorPod(
    node,
    'kube-scheduler',
    `${registry}/kube-scheduler:${version}`,
    [
      'kube-scheduler',
      '--authentication-kubeconfig=/etc/kubernetes/scheduler.conf',
      '--authorization-kubeconfig=/etc/kubernetes/scheduler.conf',
      '--bind-address=127.0.0.1',
      '--kubeconfig=/etc/kubernetes/scheduler.conf',
      '--leader-elect=true',
    ],
    {},
    [['kubeconfig', '/etc/kubernetes/scheduler.conf']],
  );
  const pods = [apiserver, controllerManager, scheduler];
  if (etcd.topology === 'stacked') {
    const name = node.metadata.name ?? '';
    const etcdPki = `${pki}/etcd`;
    pods.unshift(
      mirrorPod(
        node,
        'etcd',
        `${registry}/etcd:${etcd.version || scenario.controlPlane.etcd.version}`,
        [
          'etcd',
          `--advertise-client-urls=https://${ip}:2379`,
          `--cert-file=${etcdPki}/server.crt`,
          '--client-cert-auth=true',
          '--data-dir=/var/lib/etcd',
          '--experimental-initial-corrupt-check=true',
          '--experimental-watch-progress-notify-interval=5s',
          `--initial-advertise-peer-urls=https://${ip}:2380`,
          `--initial-cluster=${name}=https://${ip}:2380`,
          `--key-file=${etcdPki}/server.key`,
          `--listen-client-urls=https://127.0.0.1:2379,https://${ip}:2379`,
          '--listen-metrics-urls=http://127.0.0.1:2381',
          `--listen-peer-urls=https://${ip}:2380`,
          `--name=${name}`,
          `--peer-cert-file=${etcdPki}/peer.crt`,
          '--peer-client-cert-auth=true',
          `--peer-key-file=${etcdPki}/peer.key`,
          `--peer-trusted-ca-file=${etcdPki}/ca.crt`,
          '--snapshot-count=10000',
          `--trusted-ca-file=${etcdPki}/ca.crt`,
        ],
        { 'kubeadm.kubernetes.io/etcd.advertise-client-urls': `https://${ip}:2379` },
        [['etcd-certs', etcdPki], ['etcd-data', '/var/lib/etcd']],
      ),
    );
  }
  return pods;
}
