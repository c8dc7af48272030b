/** Compile a revision's snapshot document into the engine's immutable, ready-to-run form. */

import { compileCondition } from "./conditions/compile.js";
import { conditionPaths } from "./conditions/paths.js";
import { compareCodePoints, hasOwn, isObject } from "./conditions/values.js";
import { bucketRanges } from "./hashing.js";
import {
  type CompiledExperiment,
  type CompiledHoldout,
  type CompiledPlacement,
  type CompiledRule,
  type CompiledSegment,
  type JsonValue,
  NAMESPACE_PURPOSES,
  type Snapshot,
  type ValueType,
} from "./types.js";

const NECESSARY = "necessary";
const HOLDOUT_SEED_PREFIX = "holdout:";
const HOLDOUT_DEFAULT_PURPOSE = "measurement";
const VALUE_TYPES: ReadonlySet<string> = new Set(["boolean", "string", "number", "json"]);

/** A snapshot document that is not what `config_document` produces. */
export class SnapshotDocumentError extends Error {
  override name = "SnapshotDocumentError";
}

function sorted(values: Iterable<string>): string[] {
  return [...values].sort(compareCodePoints);
}

/** Which attribute namespaces a condition reads, and so which purposes it needs (both sorted). */
export function conditionManifest(condition: unknown): {
  namespaces: string[];
  purposes: string[];
} {
  const namespaces = new Set<string>();
  for (const path of conditionPaths(condition)) namespaces.add(path.split(".", 1)[0] as string);
  return { namespaces: sorted(namespaces), purposes: purposesFor(namespaces) };
}

/** The purposes that reading these namespaces needs, sorted. */
export function purposesFor(namespaces: Iterable<string>): string[] {
  const purposes = new Set<string>();
  for (const namespace of namespaces) {
    const purpose = NAMESPACE_PURPOSES.get(namespace);
    if (purpose !== undefined && purpose !== null) purposes.add(purpose);
  }
  return sorted(purposes);
}

// --- Reading the document: every field as config_document writes it, or a clear error --------

type Fields = Readonly<Record<string, unknown>>;

function object(value: unknown, where: string): Fields {
  if (!isObject(value)) throw new SnapshotDocumentError(`${where} must be an object`);
  return value;
}

function required(fields: Fields, name: string, where: string): unknown {
  if (!hasOwn(fields, name)) throw new SnapshotDocumentError(`${where} has no "${name}"`);
  return fields[name];
}

/** A number field; `fallback` when absent (a present null is an error, as in Python). */
function number(fields: Fields, name: string, where: string, fallback?: number): number {
  const absent = fallback !== undefined && !hasOwn(fields, name);
  const value = absent ? fallback : required(fields, name, where);
  if (typeof value !== "number") {
    throw new SnapshotDocumentError(`${where}.${name} must be a number`);
  }
  return value;
}

/** Python's int(): a number truncated towards zero. */
function integer(fields: Fields, name: string, where: string, fallback?: number): number {
  return Math.trunc(number(fields, name, where, fallback));
}

/** An optional text field; null, absent and "" all read as null (Python's `x or None`). */
function optionalText(fields: Fields, name: string, where: string): string | null {
  const value = hasOwn(fields, name) ? fields[name] : null;
  if (value !== null && typeof value !== "string") {
    throw new SnapshotDocumentError(`${where}.${name} must be text or null`);
  }
  return value === "" ? null : value;
}

/** A rule's variant: any text (even ""), or null when absent (Python's `rule.get("variant")`). */
function variantName(fields: Fields, where: string): string | null {
  const value = hasOwn(fields, "variant") ? fields.variant : null;
  if (value !== null && typeof value !== "string") {
    throw new SnapshotDocumentError(`${where}.variant must be text or null`);
  }
  return value;
}

function entries(value: unknown, where: string): [string, Fields][] {
  const fields = object(value, where);
  return Object.keys(fields).map((key) => [key, object(fields[key], `${where}.${key}`)]);
}

function compileSegment(key: string, data: Fields): CompiledSegment {
  const where = `segment ${key}`;
  const condition = object(required(data, "condition", where), `${where}.condition`);
  const { namespaces, purposes } = conditionManifest(condition);
  return {
    key,
    matches: compileCondition(condition),
    paths: sorted(conditionPaths(condition)),
    namespaces,
    purposes,
  };
}

function compileExperiment(key: string, data: Fields): CompiledExperiment {
  const where = `experiment ${key}`;
  const arms = required(data, "arms", where);
  if (!Array.isArray(arms)) throw new SnapshotDocumentError(`${where}.arms must be an array`);
  const variants: string[] = [];
  const weights: number[] = [];
  for (const [index, arm] of (arms as unknown[]).entries()) {
    const fields = object(arm, `${where}.arms[${index}]`);
    const variant = required(fields, "variant", `${where}.arms[${index}]`);
    if (typeof variant !== "string") {
      throw new SnapshotDocumentError(`${where}.arms[${index}].variant must be text`);
    }
    variants.push(variant);
    weights.push(number(fields, "weight", `${where}.arms[${index}]`));
  }
  return {
    key,
    seed: optionalText(data, "seed", where) ?? key,
    hashVersion: integer(data, "hash_version", where, 2),
    variants,
    ranges: bucketRanges(arms.length, number(data, "coverage", where, 1), weights),
    requiredPurpose: optionalText(data, "required_purpose", where),
    running: hasOwn(data, "status") && data.status === "running",
  };
}

function compileRule(
  data: Fields,
  where: string,
  segments: ReadonlyMap<string, CompiledSegment>,
  experiments: ReadonlyMap<string, CompiledExperiment>,
): CompiledRule {
  const segmentKey = optionalText(data, "segment", where);
  const experimentKey = optionalText(data, "experiment", where);
  const segment = segmentKey === null ? null : segments.get(segmentKey);
  const experiment = experimentKey === null ? null : experiments.get(experimentKey);
  if (segment === undefined) {
    throw new SnapshotDocumentError(`${where}: no segment "${segmentKey}"`);
  }
  if (experiment === undefined) {
    throw new SnapshotDocumentError(`${where}: no experiment "${experimentKey}"`);
  }
  const purposes = new Set(segment ? segment.purposes : []);
  if (experiment && experiment.requiredPurpose) purposes.add(experiment.requiredPurpose);
  purposes.delete(NECESSARY);
  return {
    order: integer(data, "order", where),
    segment,
    variant: variantName(data, where),
    experiment,
    rollout: number(data, "rollout", where, 100),
    purposes: sorted(purposes),
  };
}

/** A placement's holdout, or null when it has none (absent, null, or not over 0 %). */
function compileHoldout(
  placementKey: string,
  value: unknown,
  where: string,
): CompiledHoldout | null {
  // Python's `if not data`: null, absent and an empty object are no holdout.
  if (value === null || value === undefined) return null;
  const data = object(value, where);
  if (Object.keys(data).length === 0) return null;
  const share = number(data, "percentage", where, 0) / 100;
  if (!(share > 0)) return null;
  const required = hasOwn(data, "required_purpose")
    ? optionalText(data, "required_purpose", where)
    : HOLDOUT_DEFAULT_PURPOSE;
  return {
    share: Math.min(share, 1),
    seed: optionalText(data, "seed", where) ?? `${HOLDOUT_SEED_PREFIX}${placementKey}`,
    requiredPurpose: required,
  };
}

function compilePlacement(
  key: string,
  data: Fields,
  segments: ReadonlyMap<string, CompiledSegment>,
  experiments: ReadonlyMap<string, CompiledExperiment>,
): CompiledPlacement {
  const where = `placement ${key}`;
  const valueType = required(data, "value_type", where);
  if (typeof valueType !== "string" || !VALUE_TYPES.has(valueType)) {
    throw new SnapshotDocumentError(`${where}.value_type must be boolean, string, number or json`);
  }
  const enabled = required(data, "enabled", where);
  if (typeof enabled !== "boolean") {
    throw new SnapshotDocumentError(`${where}.enabled must be true or false`);
  }
  const variants = new Map<string, JsonValue>();
  for (const [name, variant] of entries(required(data, "variants", where), `${where}.variants`)) {
    variants.set(name, required(variant, "value", `${where}.variants.${name}`) as JsonValue);
  }
  const rules = required(data, "rules", where);
  if (!Array.isArray(rules)) throw new SnapshotDocumentError(`${where}.rules must be an array`);
  const compiled = (rules as unknown[]).map((rule, index) => {
    const at = `${where}.rules[${index}]`;
    return compileRule(object(rule, at), at, segments, experiments);
  });
  // A stable sort, like Python's sorted(): rules of equal order keep the document's order.
  compiled.sort((a, b) => a.order - b.order);
  return {
    key,
    valueType: valueType as ValueType,
    default: required(data, "default", where) as JsonValue,
    enabled,
    variants,
    rules: compiled,
    holdout: compileHoldout(key, hasOwn(data, "holdout") ? data.holdout : null, `${where}.holdout`),
  };
}

/** Build a Snapshot from the JSON document stored with a revision (Python's `config_document`).
 * Throws SnapshotDocumentError when the document is not of that shape. */
export function compileSnapshot(document: unknown): Snapshot {
  const root = object(document, "the snapshot document");
  const segments = new Map<string, CompiledSegment>();
  for (const [key, data] of entries(required(root, "segments", "the snapshot"), "segments")) {
    segments.set(key, compileSegment(key, data));
  }
  const experiments = new Map<string, CompiledExperiment>();
  const experimentData = entries(required(root, "experiments", "the snapshot"), "experiments");
  for (const [key, data] of experimentData) {
    experiments.set(key, compileExperiment(key, data));
  }
  const placements = new Map<string, CompiledPlacement>();
  for (const [key, data] of entries(required(root, "placements", "the snapshot"), "placements")) {
    placements.set(key, compilePlacement(key, data, segments, experiments));
  }
  return { revision: integer(root, "revision", "the snapshot"), placements };
}
