/** The tests of a single value: literals, $eq, orderings, $in, $type, regexes and versions. */

import { toJsString, toPrimitive, typeName } from "./values.js";

/** A test of one value (an attribute, an array element, an array's length). */
export type Predicate = (value: unknown) => boolean;

export const always: Predicate = () => true;
export const never: Predicate = () => false;
export const isNull: Predicate = (value) => value === null;
export const isNotNull: Predicate = (value) => value !== null;

export function negation(test: Predicate): Predicate {
  return (value) => !test(value);
}

/** `value + "" === expected` (lower-cased on both sides for $alli). */
export function literalString(expected: string, insensitive: boolean): Predicate {
  if (insensitive) {
    const folded = expected.toLowerCase();
    return (value) => toJsString(value).toLowerCase() === folded;
  }
  return (value) => (typeof value === "string" ? value : toJsString(value)) === expected;
}

/** `value * 1 === expected`: "5" equals 5 and null equals 0. */
export function literalNumber(expected: number): Predicate {
  return (value) => (typeof value === "number" ? value : Number(toPrimitive(value))) === expected;
}

/** `value !== null && !!value === expected`: truthiness, except that null never matches. */
export function literalBoolean(expected: boolean): Predicate {
  return (value) => value !== null && Boolean(value) === expected;
}

/** JavaScript's ===: same type and value; arrays and objects are never identical to a literal. */
export function strictEqual(expected: unknown): Predicate {
  if (expected === null) return isNull;
  const kind = typeof expected;
  if (kind === "string" || kind === "number" || kind === "boolean") {
    return (value) => value === expected;
  }
  return never;
}

export const ORDERINGS: ReadonlySet<string> = new Set(["$lt", "$lte", "$gt", "$gte"]);

/** JavaScript's <, <=, > and >=: two strings compare as text, anything else as numbers. */
export function ordering(op: string, operand: unknown): Predicate {
  // JavaScript's relational operators are the semantics, applied to primitives; the casts only
  // tell TypeScript so (they may be strings, booleans or null as well).
  const expected = toPrimitive(operand) as number;
  const read = (value: unknown): number => toPrimitive(value) as number;
  switch (op) {
    case "$lt":
      return (value) => read(value) < expected;
    case "$lte":
      return (value) => read(value) <= expected;
    case "$gt":
      return (value) => read(value) > expected;
    default:
      return (value) => read(value) >= expected;
  }
}

/** $in, $nin, $ini and $nini: whether a value, or any element of an array value, is listed.
 *
 * $in uses Array.prototype.includes and $ini compares lower-cased strings with ===; arrays and
 * objects are compared by reference in JavaScript, so they never match. A non-array operand
 * fails both $in and $nin, as in GrowthBook. */
export function membership(operand: unknown, insensitive: boolean, negate: boolean): Predicate {
  if (!Array.isArray(operand)) return never;
  const fold = (value: unknown): unknown =>
    insensitive && typeof value === "string" ? value.toLowerCase() : value;
  const listed = new Set<unknown>();
  for (const item of operand as unknown[]) {
    // Arrays and objects can never be === to an attribute value, so they are left out.
    if (typeof item !== "object" || item === null) listed.add(fold(item));
  }
  const contains = (value: unknown): boolean => {
    if (!Array.isArray(value)) return listed.has(fold(value));
    for (const item of value) if (listed.has(fold(item))) return true;
    return false;
  };
  return negate ? negation(contains) : contains;
}

export function hasType(operand: unknown): Predicate {
  return (value) => typeName(value) === operand;
}

/** $regex and friends: RegExp.prototype.test on String(value). A pattern that doesn't compile never
 * matches, so its negation ($notRegex, $notRegexi) always does. */
export function regex(operand: unknown, ignoreCase: boolean, negate: boolean): Predicate {
  let pattern: RegExp | null = null;
  if (typeof operand === "string") {
    try {
      pattern = new RegExp(operand, ignoreCase ? "i" : "");
    } catch {
      pattern = null;
    }
  }
  if (pattern === null) return negate ? always : never;
  const compiled = pattern;
  return (value) =>
    compiled.test(typeof value === "string" ? value : toJsString(value)) !== negate;
}

/** GrowthBook's paddedVersionString: numbers are stringified, other non-strings read as "0". */
export function paddedVersion(input: unknown): string {
  const given = typeof input === "number" ? String(input) : input;
  const text = typeof given === "string" && given !== "" ? given : "0";
  const parts = text.replace(/(^v|\+.*$)/g, "").split(/[-.]/);
  // A release without a pre-release tag sorts after its pre-releases ("~" is the largest ASCII).
  if (parts.length === 3) parts.push("~");
  return parts.map((part) => (/^[0-9]+$/.test(part) ? part.padStart(5, " ") : part)).join("-");
}

export const VERSION_ORDERINGS: ReadonlySet<string> = new Set([
  "$veq",
  "$vne",
  "$vlt",
  "$vlte",
  "$vgt",
  "$vgte",
]);

/** $veq … $vgte: the padded version strings, compared as JavaScript compares strings. */
export function version(op: string, operand: unknown): Predicate {
  const expected = paddedVersion(operand);
  switch (op) {
    case "$veq":
      return (value) => paddedVersion(value) === expected;
    case "$vne":
      return (value) => paddedVersion(value) !== expected;
    case "$vlt":
      return (value) => paddedVersion(value) < expected;
    case "$vlte":
      return (value) => paddedVersion(value) <= expected;
    case "$vgt":
      return (value) => paddedVersion(value) > expected;
    default:
      return (value) => paddedVersion(value) >= expected;
  }
}
