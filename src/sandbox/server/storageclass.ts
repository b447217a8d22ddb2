// The DefaultStorageClass admission plugin: a PersistentVolumeClaim created without
// spec.storageClassName gets the default StorageClass's name (the newest class annotated
// storageclass.kubernetes.io/is-default-class=true). An empty string means "no class" and stays.
// And the defaults of the storage kinds.
import type { KubeObject } from '../../api/types.js';
import { pickDefaultClass } from '../controllers/storage.js';
import type { Store } from '../store/store.js';
import { type JsonObject, jsonObject } from './json.js';
import { isPersistentVolumeClaim, isStorageClass } from './kinds.js';

export async function withDefaultStorageClass(store: Store, o: KubeObject): Promise<KubeObject> {
  if (!isPersistentVolumeClaim(o) || o.spec?.storageClassName !== undefined) return o;
  const { items } = await store.list('storageclasses.storage.k8s.io', undefined);
  const sc = pickDefaultClass(items.filter(isStorageClass));
  if (!sc) return o;
  return { ...o, spec: { ...o.spec, storageClassName: sc.metadata.name } };
}

type Defaulter = (o: KubeObject) => KubeObject;

function withDefaults(o: KubeObject, spec: JsonObject, status?: JsonObject): KubeObject {
  const s = jsonObject(o.spec);
  const st = jsonObject(o.status);
  return { ...o, ...(s ? { spec: { ...spec, ...s } } : {}), ...(status ? { status: { ...status, ...st } } : {}) };
}

/** kube's SetDefaults for the storage kinds (pkg/apis/core/v1/defaults.go, storage/v1/defaults.go). */
export const STORAGE_DEFAULTERS: Readonly<Record<string, Defaulter>> = {
  PersistentVolume: (o) => withDefaults(o, { persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem' }, { phase: 'Pending' }),
  PersistentVolumeClaim: (o) => withDefaults(o, { volumeMode: 'Filesystem' }, { phase: 'Pending' }),
  StorageClass: (o) => ({ reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate', ...o }),
};
