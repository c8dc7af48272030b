/** The nesting limit of conditions: deeper ones match nothing. */

/** Conditions nested deeper than this many objects and arrays never match. */
export const MAX_DEPTH = 64;

/** Whether objects and arrays nest deeper than MAX_DEPTH (or cycle), found without recursion. */
export function tooDeep(value: unknown): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  let entry: [unknown, number] | undefined;
  while ((entry = stack.pop()) !== undefined) {
    const [item, level] = entry;
    if (typeof item !== "object" || item === null) continue;
    if (level > MAX_DEPTH) return true;
    const children: unknown[] = Array.isArray(item) ? item : Object.values(item);
    for (const child of children) stack.push([child, level + 1]);
  }
  return false;
}
