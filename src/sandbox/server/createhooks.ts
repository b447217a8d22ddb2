// What kube-apiserver does to a new object of the kinds issue 14 added, after defaulting: an
// APIService's initial status (kube-aggregator's PrepareForCreate) and the
// StorageObjectInUseProtection admission plugin's finalizers on claims and volumes.
import type { KubeObject } from '../../api/types.js';
import { withProtectionFinalizer } from '../controllers/storage.js';
import { apiServiceOnCreate, isAPIService } from './apiservices.js';

export function admitCreate(o: KubeObject, now: string): KubeObject {
  if (isAPIService(o)) return apiServiceOnCreate(o, now);
  return withProtectionFinalizer(o);
}
