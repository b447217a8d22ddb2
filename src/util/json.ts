// Values of unknown shape (request bodies, patches, scenario documents, archive entries, stored
// objects of any kind): the type guards generic code narrows with, instead of casting to a shape
// it hopes for.
/** A decoded JSON object (a Go map[string]interface{}). */
export type JsonObject = Record<string, unknown>;

/** A JSON object: not null, not a list. */
export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The value if it is a JSON object, else undefined: for optional nested fields. */
export function jsonObject(v: unknown): JsonObject | undefined {
  return isJsonObject(v) ? v : undefined;
}

/** The JSON objects of a list (other elements and non-lists give nothing). */
export function jsonObjects(v: unknown): JsonObject[] {
  return Array.isArray(v) ? v.filter(isJsonObject) : [];
}

