/** Attribute paths: reading a dotted path from attributes, and listing the paths a condition reads. */

import { tooDeep } from "./depth.js";
import { hasOwn, isArrayIndex, isObject } from "./values.js";

/** GrowthBook's getPath: the value at a dotted path, or null when any step is missing.
 *
 * Objects expose only their own properties (an attribute named "constructor" is missing, not a
 * function); arrays expose their length and canonical indices, like JavaScript's `in`. */
export function readPath(attributes: unknown, parts: readonly string[]): unknown {
  let value = attributes;
  for (const part of parts) {
    if (Array.isArray(value)) {
      if (part === "length") value = value.length;
      else if (isArrayIndex(part) && Number(part) < value.length) value = value[Number(part)];
      else return null;
    } else if (isObject(value)) {
      if (!hasOwn(value, part)) return null;
      value = value[part];
    } else {
      return null;
    }
  }
  // A property holding undefined (possible outside JSON) reads as missing: null.
  return value === undefined ? null : value;
}

/** Every attribute path a condition reads.
 *
 * Paths inside $elemMatch are relative to each array element, so only the array's own path is
 * reported. A condition nested too deeply matches nothing and so reads nothing. */
export function conditionPaths(condition: unknown): Set<string> {
  const paths = new Set<string>();
  if (tooDeep(condition)) return paths;
  const pending: unknown[] = [condition];
  while (pending.length > 0) {
    const current = pending.pop();
    if (!isObject(current)) continue;
    for (const key of Object.keys(current)) {
      const value = current[key];
      if (key === "$and" || key === "$or" || key === "$nor") {
        if (Array.isArray(value)) for (const item of value as unknown[]) pending.push(item);
      } else if (key === "$not") {
        pending.push(value);
      } else {
        paths.add(key);
      }
    }
  }
  return paths;
}
