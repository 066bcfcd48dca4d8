export type Metadata = Record<string, unknown>;

const isPlainObject = (value: unknown): value is Metadata =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Clerk's PATCH semantics: nested objects merge key by key, a key set to `null` is removed (at any depth),
 * anything else (arrays included) replaces what was there. Neither input is modified.
 */
export function deepMergeMetadata(current: Metadata, patch: Metadata): Metadata {
  const merged: Metadata = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete merged[key];
    } else if (isPlainObject(value)) {
      const existing = merged[key];
      merged[key] = deepMergeMetadata(isPlainObject(existing) ? existing : {}, value);
    } else {
      merged[key] = value;
    }
  }
  return merged;
}
