/** JavaScript's coercions, applied to JSON data as data: no prototype or method is ever consulted. */

// GrowthBook's evaluator leans on JavaScript operators (`value + ""`, `value * 1`, `a < b`). On
// primitives this module lets JavaScript do exactly that. Arrays and objects are first turned
// into primitives here, the way plain JSON data would be, so that an attribute object holding a
// "toString" or "valueOf" key is still "[object Object]" (as in the Python engine) instead of
// a TypeError or a call into the visitor's data.

export type Primitive = string | number | boolean | null | undefined;

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const hasOwnProperty = Object.prototype.hasOwnProperty;

/** Whether `key` is the object's own property (never one of Object.prototype's). */
export function hasOwn(object: object, key: string): boolean {
  return hasOwnProperty.call(object, key);
}

/** String(value): arrays joined with commas (null items empty), objects "[object Object]". */
export function toJsString(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) {
    let text = "";
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      if (index > 0) text += ",";
      if (item !== null && item !== undefined) text += toJsString(item);
    }
    return text;
  }
  if (typeof value === "object" && value !== null) return "[object Object]";
  return String(value);
}

/** ToPrimitive: arrays and objects become their string forms, everything else stays. */
export function toPrimitive(value: unknown): Primitive {
  if (typeof value === "object" && value !== null) return toJsString(value);
  return value as Primitive;
}

/** GrowthBook's getType: the JSON type of a value. */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  const kind = typeof value;
  return kind === "string" || kind === "number" || kind === "boolean" || kind === "object"
    ? kind
    : "unknown";
}

/** Whether `key` is a canonical array index, as JavaScript's `key in array` understands it. */
export function isArrayIndex(key: string): boolean {
  if (key.length === 0 || key.length > 10) return false;
  for (let index = 0; index < key.length; index++) {
    const code = key.charCodeAt(index);
    if (code < 48 || code > 57) return false;
  }
  return (key === "0" || key.charCodeAt(0) !== 48) && Number(key) < 4294967295;
}

/** Compare two strings by code point, the order of Python's sorted() (JavaScript's sort() compares
 * UTF-16 code units, which differs when a surrogate pair meets U+E000–U+FFFF). */
export function compareCodePoints(left: string, right: string): number {
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) {
    const a = left.codePointAt(i) as number;
    const b = right.codePointAt(j) as number;
    if (a !== b) return a < b ? -1 : 1;
    i += a > 0xffff ? 2 : 1;
    j += b > 0xffff ? 2 : 1;
  }
  if (i < left.length) return 1;
  return j < right.length ? -1 : 0;
}

export function sortedStrings(values: Iterable<string>): string[] {
  return [...values].sort(compareCodePoints);
}
