/** Whether a parsed JSON value is an object (`{..}`), not `null` or a list. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
