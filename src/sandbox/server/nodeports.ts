// NodePort allocation for Services of type NodePort and LoadBalancer: each port without a
// nodePort gets one from kube-apiserver's default --service-node-port-range, 30000-32767. Like
// the sandbox's ClusterIPs, the choice is a stable function of the Service's uid (and the port's
// index), so it is the same however often the object is defaulted.

export const NODE_PORT_MIN = 30000;
export const NODE_PORT_MAX = 32767;

export function needsNodePorts(type: unknown): boolean {
  return type === 'NodePort' || type === 'LoadBalancer';
}

/** The ports, each port of a NodePort/LoadBalancer Service with a nodePort (given ones kept, no repeats). */
export function withNodePorts(type: unknown, uid: string, ports: unknown[]): unknown[] {
  if (!needsNodePorts(type)) return ports;
  const used = new Set(ports.map((p) => (isRecord(p) && typeof p.nodePort === 'number' ? p.nodePort : 0)));
  return ports.map((p, i) => {
    if (!isRecord(p) || typeof p.nodePort === 'number') return p;
    const span = NODE_PORT_MAX - NODE_PORT_MIN + 1;
    let n = NODE_PORT_MIN + (hash(`${uid}:${i}`) % span);
    for (let k = 0; used.has(n) && k < span; k++) n = n === NODE_PORT_MAX ? NODE_PORT_MIN : n + 1;
    used.add(n);
    return { ...p, nodePort: n };
  });
}

function hash(s: string): number {
  let h = 0;
  for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
