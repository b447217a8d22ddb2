// Built-in scenarios, by name. `seed` is the cluster of the user stories: a control-plane node
// and three workers; "blue" with 3 replicas spread over the workers, "green" a single bare pod,
// and DaemonSets (kube-proxy, a log shipper) on every node.
export const SEED = `apiVersion: upkeep.dev/v1alpha1
kind: Scenario
metadata: {name: seed}
spec:
  controlPlane: {version: v1.31.4, etcd: {version: 3.5.15-0, topology: stacked}}
  nodes:
    - {name: controlplane, role: control-plane}
    - {name: node01}
    - {name: node02}
    - {name: node03}
  objects:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: blue, namespace: default, labels: {app: blue}}
      spec:
        replicas: 3
        selector: {matchLabels: {app: blue}}
        template:
          metadata: {labels: {app: blue}}
          spec:
            containers: [{name: nginx, image: "nginx:1.27.3"}]
    - apiVersion: v1
      kind: Pod
      metadata: {name: green, namespace: default, labels: {app: green}}
      spec:
        nodeSelector: {kubernetes.io/hostname: node01}
        containers: [{name: nginx, image: "nginx:1.27.3"}]
    - apiVersion: apps/v1
      kind: DaemonSet
      metadata: {name: log-shipper, namespace: kube-system, labels: {app: log-shipper}}
      spec:
        selector: {matchLabels: {app: log-shipper}}
        template:
          metadata: {labels: {app: log-shipper}}
          spec:
            tolerations: [{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}]
            containers: [{name: fluent-bit, image: "fluent/fluent-bit:3.2.4"}]
`;


/** A large scenario generated on demand: nodes in bulk, a deployment spread over them. */
export function bulkScenario(nodes: number, pods: number, version = 'v1.31.4'): string {
  return `apiVersion: upkeep.dev/v1alpha1
kind: Scenario
metadata: {name: bulk-${nodes}-${pods}}
spec:
  controlPlane: {version: ${version}}
  nodes:
    - {name: controlplane, role: control-plane}
    - {namePrefix: worker-, count: ${nodes}, capacity: {pods: "110"}}
  objects:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: bulk, namespace: default}
      spec:
        replicas: ${pods}
        selector: {matchLabels: {app: bulk}}
        template:
          metadata: {labels: {app: bulk}}
          spec:
            containers: [{name: app, image: "registry.k8s.io/pause:3.10"}]
`;
}

export const BUILTIN_SCENARIOS: Record<string, string> = {
  seed: SEED,
  // Scale rehearsal: 1,000 workers and 30,000 pods (30 Deployments of 1,000 replicas).
  large: largeScenario(),
};

function largeScenario(): string {
  const deployments = Array.from({ length: 30 }, (_, i) => `    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: app-${String(i).padStart(2, '0')}, namespace: large}
      spec:
        replicas: 1000
        selector: {matchLabels: {app: app-${String(i).padStart(2, '0')}}}
        template:
          metadata: {labels: {app: app-${String(i).padStart(2, '0')}}}
          spec:
            containers: [{name: app, image: "registry.k8s.io/pause:3.10", resources: {requests: {cpu: 10m, memory: 16Mi}}}]`).join('\n');
  return `apiVersion: upkeep.dev/v1alpha1
kind: Scenario
metadata: {name: large}
spec:
  controlPlane: {version: v1.31.4}
  nodes:
    - {name: controlplane, role: control-plane}
    - {namePrefix: worker-, count: 1000}
  objects:
    - {apiVersion: v1, kind: Namespace, metadata: {name: large}}
${deployments}
`;
}
