// What the kubelet answers for a pod's streams: `kubectl logs` gets a few plausible lines from
// the container's simulated life (from its status: started, ready, restarts, terminating), with
// the kubelet's 400s for a missing container or a missing previous instance; exec, attach,
// port-forward and proxy need a container runtime the sandbox does not have, and say so.
import { StatusError, errors, failure } from '../../api/status.js';
import type { KubeObject } from '../../api/types.js';
import { isPod } from '../server/kinds.js';

export const STREAM_SUBRESOURCES = new Set(['exec', 'attach', 'portforward', 'proxy']);

/** 400 for exec/attach/portforward/proxy: nothing to connect to. */
export function noContainerRuntime(pod: string, subresource: string): StatusError {
  return new StatusError(failure(400, 'BadRequest', `pods/${subresource} is not available for pod "${pod}": the sandbox has no container runtime (exec, attach, port-forward and proxy need one)`));
}

/** The text of GET pods/<name>/log (container, previous, timestamps, tailLines as the query says). */
export function podLog(o: KubeObject, q: URLSearchParams): string {
  if (!isPod(o)) return '';
  const pod = o;
  const name = pod.metadata.name ?? '';
  const containers = (pod.spec?.containers ?? []).map((c) => c.name);
  let container = q.get('container') ?? '';
  if (!container) {
    if (containers.length !== 1) throw errors.badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`);
    container = containers[0];
  }
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const spec = all.find((c) => c.name === container);
  if (!spec) throw errors.badRequest(`container ${container} is not valid for pod ${name}`);
  const status = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].find((s) => s.name === container);
  const previous = q.get('previous') === 'true';
  if (previous && !status?.lastState?.terminated) throw errors.badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
  const state = previous ? status?.lastState : status?.state;
  if (!previous && !state?.running && !state?.terminated) {
    const reason = state?.waiting?.reason ?? 'ContainerCreating';
    const why = reason === 'ErrImagePull' || reason === 'ImagePullBackOff' ? 'trying and failing to pull image' : reason;
    throw errors.badRequest(`container "${container}" in pod "${name}" is waiting to start: ${why}`);
  }
  const started = state?.running?.startedAt ?? state?.terminated?.startedAt ?? pod.status?.startTime ?? '';
  const lines: Array<[string, string]> = [[started, `sandbox: container ${container} started (image ${spec.image ?? ''})`]];
  if (!previous && status?.ready) lines.push([started, `sandbox: ${container} is ready to serve`]);
  if (!previous && pod.metadata.deletionTimestamp) lines.push([pod.metadata.deletionTimestamp, 'sandbox: received SIGTERM, shutting down gracefully']);
  const t = state?.terminated;
  if (t) lines.push([t.finishedAt ?? started, `sandbox: exited with code ${t.exitCode}${t.reason ? ` (${t.reason})` : ''}`]);
  const tail = Number(q.get('tailLines') ?? NaN);
  const shown = Number.isInteger(tail) && tail >= 0 ? lines.slice(Math.max(0, lines.length - tail)) : lines;
  const stamp = q.get('timestamps') === 'true';
  return shown.map(([at, text]) => (stamp ? `${at.replace(/Z$/, '.000000000Z')} ${text}\n` : `${text}\n`)).join('');
}
