// kube-scheduler's VolumeBinding plugin over the controllers' cache: a pod's claims must exist
// and, unless their class waits for the first consumer, be bound; a bound volume's node affinity
// limits the nodes; for claims that wait, the chosen node is written on the claim
// (volume.kubernetes.io/selected-node) and the pod is bound only once the PV controller has
// bound them (the plugin's PreBind wait), so the pod lands where its volume was provisioned.
import type { Node, Pod } from '../../api/types.js';
import type { ControllerContext } from './context.js';
import { isRace } from './context.js';
import { PERSISTENT_VOLUME_CLAIMS, PERSISTENT_VOLUMES, STORAGE_CLASSES } from './kinds.js';
import { type PodVolumes, SELECTED_NODE_ANNOTATION, podClaimNames, podVolumes, volumesFitNode } from './storage.js';

const NO_VOLUMES: PodVolumes = { kind: 'ok', bound: [], waiting: [] };

export class VolumeBinding {
  constructor(private readonly ctx: ControllerContext) {}

  /** The pod's claims as the scheduler sees them (PreFilter). */
  check(pod: Pod): PodVolumes {
    if (!podClaimNames(pod).length) return NO_VOLUMES;
    const cache = this.ctx.cache;
    return podVolumes(pod, {
      claim: (ns, name) => cache.get(PERSISTENT_VOLUME_CLAIMS, ns, name),
      volume: (name) => cache.get(PERSISTENT_VOLUMES, '', name),
      storageClass: (name) => (name ? cache.get(STORAGE_CLASSES, '', name) : undefined),
    });
  }

  /** Filter: may the pod's bound volumes be used on node? */
  fits(volumes: PodVolumes, node: Node): boolean {
    return volumes.kind === 'ok' && (volumes.bound.length === 0 || volumesFitNode(volumes, node));
  }

  /** The node an earlier attempt already named on a waiting claim, so that retries keep to it. */
  selectedNode(volumes: PodVolumes): string | undefined {
    if (volumes.kind !== 'ok') return undefined;
    for (const c of volumes.waiting) {
      const n = c.metadata.annotations?.[SELECTED_NODE_ANNOTATION];
      if (n) return n;
    }
    return undefined;
  }

  /** Names the node on every waiting claim; true when the pod must wait for them to bind before it is bound. */
  async selectNode(volumes: PodVolumes, node: string): Promise<boolean> {
    if (volumes.kind !== 'ok' || !volumes.waiting.length) return false;
    for (const c of volumes.waiting) {
      if (c.metadata.annotations?.[SELECTED_NODE_ANNOTATION] === node) continue;
      try {
        await this.ctx.patch(PERSISTENT_VOLUME_CLAIMS, c.metadata.namespace ?? '', c.metadata.name ?? '', 'merge', { metadata: { annotations: { [SELECTED_NODE_ANNOTATION]: node } } });
      } catch (e) {
        if (!isRace(e)) throw e;
      }
    }
    return true;
  }
}
