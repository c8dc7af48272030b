/** Compile whole conditions into matchers and evaluate them: paths, logic, operator dispatch.
 *
 * The semantics are GrowthBook's JavaScript `evalCondition`, including its coercions: "8" is
 * between 5 and 10, a missing attribute reads as null and so is below 5, the literal "5" equals
 * the number 5, $regex tests String(value), and $elemMatch skips falsy elements. Like the Python
 * engine (`personalization/engine/conditions`), it differs in two deliberate ways:
 *
 * - A malformed condition matches nothing as a whole, wherever the fault is: an unknown operator,
 *   $and/$or/$nor without an array of objects, $not or $elemMatch without an object, a value
 *   that isn't JSON, or nesting deeper than MAX_DEPTH.
 * - Saved groups ($inGroup, $notInGroup, $savedGroup) are not supported: unknown operators.
 */

import type { Matcher } from "../types.js";
import { tooDeep } from "./depth.js";
import {
  always,
  hasType,
  isNotNull,
  isNull,
  literalBoolean,
  literalNumber,
  literalString,
  membership,
  negation,
  never,
  ORDERINGS,
  ordering,
  type Predicate,
  regex,
  strictEqual,
  version,
  VERSION_ORDERINGS,
} from "./operators.js";
import { readPath } from "./paths.js";
import { isObject } from "./values.js";

/** The condition cannot be evaluated, so it matches nothing. */
class InvalidCondition extends Error {}

function allOf(tests: readonly Predicate[]): Predicate {
  if (tests.length === 0) return always;
  if (tests.length === 1) return tests[0] as Predicate;
  return (value) => {
    for (const test of tests) if (!test(value)) return false;
    return true;
  };
}

/** GrowthBook treats an empty $or as a match. */
function anyOf(tests: readonly Predicate[]): Predicate {
  if (tests.length === 0) return always;
  return (value) => {
    for (const test of tests) if (test(value)) return true;
    return false;
  };
}

function isOperatorObject(value: unknown): value is Record<string, unknown> {
  if (!isObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((key) => key.startsWith("$"));
}

function pathTest(path: string, test: Predicate): Predicate {
  const parts = path.split(".");
  if (parts.length === 1) {
    const key = path;
    return (attributes) => test(readPath(attributes, [key]));
  }
  return (attributes) => test(readPath(attributes, parts));
}

/** A condition object (paths and $and/$or/$nor/$not) as a test of an attributes object. */
function compileConditionObject(condition: unknown): Predicate {
  if (!isObject(condition)) throw new InvalidCondition();
  const tests: Predicate[] = [];
  for (const key of Object.keys(condition)) {
    const value = condition[key];
    if (key === "$and") tests.push(allOf(compileConditionList(value)));
    else if (key === "$or") tests.push(anyOf(compileConditionList(value)));
    else if (key === "$nor") tests.push(negation(anyOf(compileConditionList(value))));
    else if (key === "$not") tests.push(negation(compileConditionObject(value)));
    // GrowthBook reads any other key, even one starting with "$", as an attribute path.
    else tests.push(pathTest(key, compileValue(value, false)));
  }
  return allOf(tests);
}

function compileConditionList(value: unknown): Predicate[] {
  if (!Array.isArray(value)) throw new InvalidCondition();
  return (value as unknown[]).map(compileConditionObject);
}

/** What a path is compared with: a literal or an object of operators. */
function compileValue(expected: unknown, insensitive: boolean): Predicate {
  if (typeof expected === "string") return literalString(expected, insensitive);
  if (typeof expected === "boolean") return literalBoolean(expected);
  if (expected === null) return isNull;
  if (typeof expected === "number") return literalNumber(expected);
  if (isOperatorObject(expected)) {
    return allOf(Object.keys(expected).map((op) => compileOperator(op, expected[op])));
  }
  if (typeof expected === "object") {
    // Arrays and objects without operators (including {}) compare as JSON text.
    const text = JSON.stringify(expected);
    return (value) => JSON.stringify(value) === text;
  }
  throw new InvalidCondition();
}

function compileAll(operand: unknown, insensitive: boolean): Predicate {
  if (!Array.isArray(operand)) return never;
  const wanted = (operand as unknown[]).map((item) => compileValue(item, insensitive));
  return (value) => {
    if (!Array.isArray(value)) return false;
    for (const test of wanted) if (!value.some(test)) return false;
    return true;
  };
}

function compileElemMatch(operand: unknown): Predicate {
  if (!isObject(operand)) throw new InvalidCondition();
  // Operators test each element itself; anything else is a condition on each element's fields.
  const test = isOperatorObject(operand)
    ? compileValue(operand, false)
    : compileConditionObject(operand);
  return (value) => {
    if (!Array.isArray(value)) return false;
    // GrowthBook's JavaScript SDK (up to 1.7) skips falsy elements (0, "", false, null).
    for (const item of value) if (item && test(item)) return true;
    return false;
  };
}

function compileSize(operand: unknown): Predicate {
  const test = compileValue(operand, false);
  return (value) => Array.isArray(value) && test(value.length);
}

function compileOperator(op: string, operand: unknown): Predicate {
  if (op === "$eq") return strictEqual(operand);
  if (op === "$ne") return negation(strictEqual(operand));
  if (ORDERINGS.has(op)) return ordering(op, operand);
  if (VERSION_ORDERINGS.has(op)) return version(op, operand);
  if (op === "$in" || op === "$nin" || op === "$ini" || op === "$nini") {
    return membership(operand, op.endsWith("i"), op.startsWith("$n"));
  }
  if (op === "$all" || op === "$alli") return compileAll(operand, op === "$alli");
  if (op === "$elemMatch") return compileElemMatch(operand);
  if (op === "$size") return compileSize(operand);
  if (op === "$exists") return operand ? isNotNull : isNull;
  if (op === "$type") return hasType(operand);
  if (op === "$regex" || op === "$regexi" || op === "$notRegex" || op === "$notRegexi") {
    return regex(operand, op.endsWith("i"), op.startsWith("$not"));
  }
  if (op === "$not") return negation(compileValue(operand, false));
  // Unknown operators, logical operators applied to a value and saved groups.
  throw new InvalidCondition();
}

/** Compile a GrowthBook condition once into a fast test of attribute objects; it never throws,
 * and attributes that cannot be evaluated match nothing. */
export function compileCondition(condition: unknown): Matcher {
  let test: Predicate;
  try {
    test = tooDeep(condition) ? never : compileConditionObject(condition);
  } catch {
    // Any fault in a condition means no match.
    test = never;
  }
  return (attributes) => {
    try {
      return test(attributes);
    } catch {
      // Attributes are visitor data: nothing in them may break a decision.
      return false;
    }
  };
}

/** Whether attributes satisfy condition; see compileCondition for the semantics. */
export function evaluateCondition(condition: unknown, attributes: unknown): boolean {
  return compileCondition(condition)(attributes);
}
