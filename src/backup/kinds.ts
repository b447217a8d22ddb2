// Objects read from an archive or a list are KubeObjects; the decisions read a few fields of
// known kinds. This is the one place such an object is read as its kind's typed view (the decode
// boundary), instead of a cast to an ad-hoc shape at every use.
import type { KubeObject, ObjectMeta } from '../api/types.js';

export function asKind<T extends { metadata: ObjectMeta }>(o: KubeObject): T {
  return o as unknown as T;
}
