/** The decision APIs' request checks, worded as the origin's serializers word them
 * (`personalization/serializers.py`, DRF's fields): the same input gets the same 400. */

import { pythonLength, pythonRepr, pythonType } from "./python.js";

export const CONTEXT_MAX_KEYS = 50;
const CONTEXT_MAX_LIST = 50;
const CONTEXT_MAX_STRING = 1024;
const CONTEXT_KEY_PATTERN = "^[A-Za-z_][A-Za-z0-9_.-]{0,63}$";
const CONTEXT_KEY = new RegExp(CONTEXT_KEY_PATTERN);
const MAX_SAFE_INTEGER = 2 ** 53 - 1;
const PLACEMENTS_MAX = 100;
const PLACEMENT_KEY_LENGTH = 64;
const PLACEMENT_KEY = /^[-a-zA-Z0-9_]+$/;

export type Context = Readonly<Record<string, unknown>>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function scalarOk(value: unknown): boolean {
  if (typeof value === "string") return pythonLength(value) <= CONTEXT_MAX_STRING;
  if (value === null || typeof value === "boolean") return true;
  if (typeof value === "number") return Math.abs(value) <= MAX_SAFE_INTEGER;
  return false;
}

/** Why a request context is unacceptable (Python's `context_problems`). */
export function contextProblems(context: unknown): string[] {
  if (!isObject(context)) return ["context must be a JSON object"];
  const keys = Object.keys(context);
  if (keys.length > CONTEXT_MAX_KEYS) return [`context has more than ${CONTEXT_MAX_KEYS} keys`];
  const problems: string[] = [];
  for (const key of keys) {
    const value = context[key];
    if (!CONTEXT_KEY.test(key)) {
      const shown = Array.from(key).slice(0, 70).join("");
      problems.push(`context key ${pythonRepr(shown)} must match ${CONTEXT_KEY_PATTERN}`);
    } else if (Array.isArray(value)) {
      if (value.length > CONTEXT_MAX_LIST || !value.every(scalarOk)) {
        problems.push(
          `context.${key} must be a list of at most ${CONTEXT_MAX_LIST} strings, numbers, booleans or nulls`,
        );
      }
    } else if (!scalarOk(value)) {
      problems.push(`context.${key} must be a string, number, boolean, null or list`);
    }
  }
  return problems;
}

/** A valid decide request, or DRF's error details by field. */
export type DecideRequest =
  | { readonly ok: true; readonly placements: string[] | null; readonly context: Context }
  | { readonly ok: false; readonly details: Record<string, unknown> };

function placementKeyErrors(value: unknown): string[] {
  if (value === null) return ["This field may not be null."];
  if (value === "") return ["This field may not be blank."];
  if (typeof value !== "string") return ["Must be a string."];
  const errors: string[] = [];
  if (!PLACEMENT_KEY.test(value)) errors.push("A placement key is a slug.");
  if (pythonLength(value) > PLACEMENT_KEY_LENGTH) {
    errors.push(`Ensure this field has no more than ${PLACEMENT_KEY_LENGTH} characters.`);
  }
  return errors;
}

/** `DecideRequestSerializer`: `placements` (optional list of keys) and `context`. */
export function decideRequest(body: unknown): DecideRequest {
  // DRF words a null body so, not as a null field.
  if (body === null) return { ok: false, details: { non_field_errors: ["No data provided"] } };
  if (!isObject(body)) {
    const message = `Invalid data. Expected a dictionary, but got ${pythonType(body)}.`;
    return { ok: false, details: { non_field_errors: [message] } };
  }
  const details: Record<string, unknown> = {};
  let placements: string[] | null = null;
  if (Object.hasOwn(body, "placements")) {
    const value = body.placements;
    if (value === null) details.placements = ["This field may not be null."];
    else if (!Array.isArray(value)) {
      details.placements = [`Expected a list of items but got type "${pythonType(value)}".`];
    } else {
      const errors: Record<string, string[]> = {};
      value.forEach((item, index) => {
        const found = placementKeyErrors(item);
        if (found.length) errors[String(index)] = found;
      });
      if (Object.keys(errors).length) details.placements = errors;
      else if (value.length > PLACEMENTS_MAX) {
        details.placements = [`Ensure this field has no more than ${PLACEMENTS_MAX} elements.`];
      } else placements = value as string[];
    }
  }
  let context: Context = {};
  if (Object.hasOwn(body, "context")) {
    if (body.context === null) details.context = ["This field may not be null."];
    else {
      const problems = contextProblems(body.context);
      if (problems.length) details.context = problems;
      else context = body.context as Context;
    }
  }
  if (Object.keys(details).length) return { ok: false, details };
  return { ok: true, placements, context };
}

/** An OFREP request's context, or OFREP's error (`OfrepApi.evaluate`). */
export type OfrepRequest =
  | { readonly ok: true; readonly context: Context }
  | { readonly ok: false; readonly code: string; readonly details: string };

export function ofrepRequest(body: unknown): OfrepRequest {
  if (!isObject(body))
    return { ok: false, code: "PARSE_ERROR", details: "The body must be a JSON object." };
  const context = Object.hasOwn(body, "context") ? body.context : {};
  if (!isObject(context)) {
    return { ok: false, code: "INVALID_CONTEXT", details: "context must be a JSON object." };
  }
  const targetingKey = Object.hasOwn(context, "targetingKey") ? context.targetingKey : "";
  if (typeof targetingKey !== "string" && targetingKey !== null) {
    return {
      ok: false,
      code: "INVALID_CONTEXT",
      details: "targetingKey must be a string or null.",
    };
  }
  const attributes: Record<string, unknown> = {};
  for (const key of Object.keys(context))
    if (key !== "targetingKey") attributes[key] = context[key];
  const problems = contextProblems(attributes);
  if (problems.length) return { ok: false, code: "INVALID_CONTEXT", details: problems.join("; ") };
  return { ok: true, context: attributes };
}
