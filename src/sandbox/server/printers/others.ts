// Printers for policy, coordination, rbac, storage, scheduling, networking and discovery, plus
// core ResourceQuotas.
import type * as k8sCore from 'kubernetes-types/core/v1.js';
import type * as k8sDiscovery from 'kubernetes-types/discovery/v1.js';
import type * as k8sNetworking from 'kubernetes-types/networking/v1.js';
import type * as k8sRbac from 'kubernetes-types/rbac/v1.js';
import type * as k8sScheduling from 'kubernetes-types/scheduling/v1.js';
import type * as k8sStorage from 'kubernetes-types/storage/v1.js';
import type { Lease, PodDisruptionBudget, Typed } from '../../../api/types.js';
import { labelSelectorToString } from '../../../api/labels.js';
import { AGE_COLUMN, NAME_COLUMN, age, column, int, intOrString, list, nameOf, quantity, text, type Printer } from './format.js';

// Kinds only these printers read.
type RoleBinding = Typed<k8sRbac.RoleBinding>;
type ClusterRoleBinding = Typed<k8sRbac.ClusterRoleBinding>;
type StorageClass = Typed<k8sStorage.StorageClass>;
type PriorityClass = Typed<k8sScheduling.PriorityClass>;
type Ingress = Typed<k8sNetworking.Ingress>;
type NetworkPolicy = Typed<k8sNetworking.NetworkPolicy>;
type EndpointSlice = Typed<k8sDiscovery.EndpointSlice>;
type ResourceQuota = Typed<k8sCore.ResourceQuota>;

export const podDisruptionBudgetPrinter: Printer<PodDisruptionBudget> = {
  columns: [
    NAME_COLUMN,
    column('Min Available', 'string', 'The minimum number of pods that must be available.'),
    column('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
    column('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
    AGE_COLUMN,
  ],
  cells(pdb, now) {
    const spec = pdb.spec;
    const set = (v: unknown) => v !== undefined && v !== null;
    return [
      nameOf(pdb),
      set(spec?.minAvailable) ? intOrString(spec?.minAvailable) : 'N/A',
      set(spec?.maxUnavailable) ? intOrString(spec?.maxUnavailable) : 'N/A',
      int(pdb.status?.disruptionsAllowed),
      age(pdb, now),
    ];
  },
};

export const leasePrinter: Printer<Lease> = {
  columns: [NAME_COLUMN, column('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.'), AGE_COLUMN],
  cells(lease, now) {
    return [nameOf(lease), text(lease.spec?.holderIdentity), age(lease, now)];
  },
};

/** rbac SubjectsStrings: users, groups and "namespace/name" service accounts. */
function subjectCells(subjects: RoleBinding['subjects']): [string, string, string] {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const subject of list(subjects)) {
    switch (subject.kind) {
      case 'ServiceAccount':
        sas.push(`${text(subject.namespace)}/${text(subject.name)}`);
        break;
      case 'User':
        users.push(text(subject.name));
        break;
      case 'Group':
        groups.push(text(subject.name));
        break;
    }
  }
  return [users.join(', '), groups.join(', '), sas.join(', ')];
}

function bindingPrinter(what: string): Printer<RoleBinding | ClusterRoleBinding> {
  return {
    columns: [
      NAME_COLUMN,
      column('Role', 'string', 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.'),
      AGE_COLUMN,
      column('Users', 'string', `Users in the ${what}`, 1),
      column('Groups', 'string', `Groups in the ${what}`, 1),
      column('ServiceAccounts', 'string', `ServiceAccounts in the ${what}`, 1),
    ],
    cells(binding, now) {
      const roleRef = binding.roleRef;
      return [nameOf(binding), `${text(roleRef?.kind)}/${text(roleRef?.name)}`, age(binding, now), ...subjectCells(binding.subjects)];
    },
  };
}

export const roleBindingPrinter = bindingPrinter('roleBinding');
export const clusterRoleBindingPrinter = bindingPrinter('clusterRoleBinding');

const DEFAULT_CLASS_ANNOTATIONS = [
  'storageclass.kubernetes.io/is-default-class',
  'storageclass.beta.kubernetes.io/is-default-class',
];

export const storageClassPrinter: Printer<StorageClass> = {
  columns: [
    NAME_COLUMN,
    column('Provisioner', 'string', 'provisioner indicates the type of the provisioner.'),
    column('ReclaimPolicy', 'string', 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class.'),
    column('VolumeBindingMode', 'string', 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.'),
    column('AllowVolumeExpansion', 'string', 'allowVolumeExpansion shows whether the storage class allow volume expand.'),
    AGE_COLUMN,
  ],
  cells(sc, now) {
    const annotations = sc.metadata?.annotations ?? {};
    const isDefault = DEFAULT_CLASS_ANNOTATIONS.some((a) => annotations[a] === 'true');
    return [
      isDefault ? `${nameOf(sc)} (default)` : nameOf(sc),
      text(sc.provisioner),
      text(sc.reclaimPolicy) || 'Delete',
      text(sc.volumeBindingMode) || 'Immediate',
      sc.allowVolumeExpansion === true,
      age(sc, now),
    ];
  },
};

export const priorityClassPrinter: Printer<PriorityClass> = {
  columns: [
    NAME_COLUMN,
    column('Value', 'integer', 'value represents the integer value of this priority class.'),
    column('Global-Default', 'boolean', 'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.'),
    AGE_COLUMN,
    // Priority 0 although kube only fills it for wide output: the server always prints wide.
    column('PreemptionPolicy', 'string', 'preemptionPolicy is the Policy for preempting pods with lower priority.'),
  ],
  cells(pc, now) {
    return [nameOf(pc), int(pc.value), pc.globalDefault === true, age(pc, now), text(pc.preemptionPolicy)];
  },
};

/** Sorted, de-duplicated load-balancer ingress IPs (or hostnames). */
function loadBalancerAddresses(lb: k8sNetworking.IngressLoadBalancerStatus | undefined): string {
  const result = new Set<string>();
  for (const ing of list(lb?.ingress)) {
    if (text(ing.ip)) result.add(text(ing.ip));
    else if (text(ing.hostname)) result.add(text(ing.hostname));
  }
  return [...result].sort().join(',');
}

function ingressHosts(rules: k8sNetworking.IngressSpec['rules']): string {
  const all = list(rules);
  const max = 3;
  const hosts: string[] = [];
  let more = false;
  for (const r of all) {
    if (hosts.length === max) more = true;
    const host = text(r.host);
    if (!more && host) hosts.push(host);
  }
  if (hosts.length === 0) return '*';
  const ret = hosts.join(',');
  return more ? `${ret} + ${all.length - max} more...` : ret;
}

export const ingressPrinter: Printer<Ingress> = {
  columns: [
    NAME_COLUMN,
    column('Class', 'string', 'The name of the IngressClass resource that should be used for additional configuration'),
    column('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
    column('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    column('Ports', 'string', 'Ports of TLS configurations that open'),
    AGE_COLUMN,
  ],
  cells(ing, now) {
    const spec = ing.spec;
    return [
      nameOf(ing),
      typeof spec?.ingressClassName === 'string' ? spec.ingressClassName : '<none>',
      ingressHosts(spec?.rules),
      loadBalancerAddresses(ing.status?.loadBalancer),
      list(spec?.tls).length > 0 ? '80, 443' : '80',
      age(ing, now),
    ];
  },
};

export const networkPolicyPrinter: Printer<NetworkPolicy> = {
  columns: [
    NAME_COLUMN,
    column('Pod-Selector', 'string', 'Selects the pods to which this NetworkPolicy object applies.'),
    AGE_COLUMN,
  ],
  cells(np, now) {
    return [nameOf(np), labelSelectorToString(np.spec?.podSelector), age(np, now)];
  },
};

/** listWithMoreString: the first three, then "+ N more...", "<unset>" when there are none. */
function listWithMore(values: string[]): string {
  const max = 3;
  if (values.length === 0) return '<unset>';
  const ret = values.slice(0, max).join(',');
  return values.length > max ? `${ret} + ${values.length - max} more...` : ret;
}

export const endpointSlicePrinter: Printer<EndpointSlice> = {
  columns: [
    NAME_COLUMN,
    column('AddressType', 'string', 'addressType specifies the type of address carried by this EndpointSlice.'),
    column('Ports', 'string', 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
    column('Endpoints', 'string', 'endpoints is a list of unique endpoints in this slice.'),
    AGE_COLUMN,
  ],
  cells(slice, now) {
    const ports = list(slice.ports).map((port) => {
      if (typeof port.port === 'number') return String(int(port.port));
      if (typeof port.name === 'string') return port.name;
      return '*';
    });
    const addresses: string[] = [];
    for (const e of list(slice.endpoints)) for (const a of list(e.addresses)) addresses.push(text(a));
    return [nameOf(slice), text(slice.addressType), listWithMore(ports), listWithMore(addresses), age(slice, now)];
  },
};

export const resourceQuotaPrinter: Printer<ResourceQuota> = {
  columns: [
    NAME_COLUMN,
    column('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    column('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
    AGE_COLUMN,
  ],
  cells(quota, now) {
    const hard = quota.status?.hard ?? {};
    const used = quota.status?.used ?? {};
    const requests: string[] = [];
    const limits: string[] = [];
    for (const resource of Object.keys(hard).sort()) {
      const entry = `${resource}: ${quantity(used[resource])}/${quantity(hard[resource])}`;
      // Resource names like limits.cpu go to the Limit column, everything else to Request.
      const dot = resource.indexOf('.');
      if (dot > 0 && resource.slice(0, dot) === 'limits') limits.push(entry);
      else requests.push(entry);
    }
    return [nameOf(quota), requests.join(', '), limits.join(', '), age(quota, now)];
  },
};
