/** Decision evaluation: placement → ordered rules → segment match or experiment split. */

import { hasOwn, isObject } from "./conditions/values.js";
import { chooseVariation, hashUnit } from "./hashing.js";
import { compareCodePoints } from "./conditions/values.js";
import type {
  CompiledHoldout,
  CompiledPlacement,
  CompiledRule,
  Decision,
  DecisionBody,
  Explanation,
  HeldOut,
  Reason,
  SkippedRule,
  Snapshot,
  Visitor,
} from "./types.js";

const ROLLOUT_HASH_VERSION = 2;
const HOLDOUT_HASH_VERSION = 2;

const NOTHING_MISSING: ReadonlySet<string> = new Set();

/** Decide one placement for one visitor; never throws (an error serves the default). */
export function decide(placement: CompiledPlacement, visitor: Visitor): Decision {
  return decideWithout(placement, visitor, NOTHING_MISSING) as Decision;
}

/** Decide one placement for a visitor whose attributes lack the namespaces `missing` (an edge
 * has no preferences or signals): null when a rule that would be considered — its purposes
 * granted, no earlier rule served — reads one of them, since only a tier holding them can
 * decide it. Otherwise the decision `decide` gives; never throws. */
export function decideWithout(
  placement: CompiledPlacement,
  visitor: Visitor,
  missing: ReadonlySet<string>,
): Decision | null {
  try {
    return evaluate(placement, visitor, missing);
  } catch {
    return fallback(placement, "ERROR", { error: "evaluation failed" });
  }
}

/** Decide the placements named by `keys`, all of which must be in the snapshot. */
export function decideMany(
  snapshot: Snapshot,
  visitor: Visitor,
  keys: Iterable<string>,
): Map<string, Decision> {
  const decisions = new Map<string, Decision>();
  for (const key of keys) {
    const placement = snapshot.placements.get(key);
    if (placement === undefined) throw new RangeError(`unknown placement "${key}"`);
    decisions.set(key, decide(placement, visitor));
  }
  return decisions;
}

/** The JSON form of a decision: Python's `Decision.as_dict()`, without the placement key. */
export function decisionBody(decision: Decision): DecisionBody {
  const { value, variant, reason, personalized, explanation } = decision;
  return { value, variant, reason, personalized, explanation };
}

function evaluate(
  placement: CompiledPlacement,
  visitor: Visitor,
  missing: ReadonlySet<string>,
): Decision | null {
  if (!placement.enabled) return fallback(placement, "DISABLED", {});
  const { granted, attributes } = visitor;
  let skipped: SkippedRule[] | null = null;
  const rules = placement.rules;
  for (let index = 0; index < rules.length; index++) {
    const rule = rules[index] as CompiledRule;
    const position = index + 1;
    if (!grantsAll(granted, rule.purposes)) {
      const missing = rule.purposes.filter((purpose) => !granted.has(purpose));
      (skipped ??= []).push({
        rule: position,
        segment: rule.segment ? rule.segment.key : null,
        missing_purposes: missing,
      });
      continue;
    }
    if (rule.segment !== null && missing.size > 0) {
      for (const namespace of rule.segment.namespaces) if (missing.has(namespace)) return null;
    }
    if (rule.segment !== null && !rule.segment.matches(attributes)) continue;
    if (rule.rollout < 100 && !inRollout(placement.key, rule, visitor.subjectId)) continue;
    let variant: string | null;
    let reason: Reason;
    if (rule.experiment === null) {
      if (rule.variant === null) throw new Error("a targeting rule without a variant");
      variant = rule.variant;
      reason = "TARGETING_MATCH";
    } else {
      variant = assign(rule, visitor.subjectId);
      reason = "SPLIT";
    }
    if (variant === null) continue;
    if (placement.holdout !== null && heldOut(placement.holdout, visitor)) {
      return holdout(placement, placement.holdout, rule, position, variant);
    }
    return served(placement, rule, position, variant, reason, attributes);
  }
  if (skipped !== null) return fallback(placement, "CONSENT_REQUIRED", { skipped });
  return fallback(placement, "DEFAULT", {});
}

function heldOut(holdout: CompiledHoldout, visitor: Visitor): boolean {
  if (visitor.subjectId === null) return false;
  if (holdout.requiredPurpose !== null && !visitor.granted.has(holdout.requiredPurpose)) {
    return false;
  }
  const n = hashUnit(holdout.seed, visitor.subjectId, HOLDOUT_HASH_VERSION);
  return n !== null && n < holdout.share;
}

/** The default, served to a held-out visitor instead of what `rule` would have served. */
function holdout(
  placement: CompiledPlacement,
  held: CompiledHoldout,
  rule: CompiledRule,
  position: number,
  variant: string,
): Decision {
  const purposes = new Set(rule.purposes);
  if (held.requiredPurpose !== null) purposes.add(held.requiredPurpose);
  return fallback(placement, "DEFAULT", {
    holdout: {
      rule: position,
      segment: rule.segment ? rule.segment.key : null,
      experiment: rule.experiment ? rule.experiment.key : null,
      variant,
      purposes: [...purposes].sort(compareCodePoints),
    },
  });
}

function grantsAll(granted: ReadonlySet<string>, purposes: readonly string[]): boolean {
  for (const purpose of purposes) if (!granted.has(purpose)) return false;
  return true;
}

function inRollout(placementKey: string, rule: CompiledRule, subjectId: string | null): boolean {
  // A partial rollout needs a stable unit to hash; anonymous visitors stay out of it.
  if (subjectId === null) return false;
  const seed = `${placementKey}:${rule.segment ? rule.segment.key : "*"}`;
  const n = hashUnit(seed, subjectId, ROLLOUT_HASH_VERSION);
  return n !== null && n < rule.rollout / 100;
}

function assign(rule: CompiledRule, subjectId: string | null): string | null {
  const experiment = rule.experiment;
  if (experiment === null || !experiment.running || subjectId === null) return null;
  const n = hashUnit(experiment.seed, subjectId, experiment.hashVersion);
  if (n === null) return null;
  const index = chooseVariation(n, experiment.ranges);
  return index >= 0 ? (experiment.variants[index] as string) : null;
}

function served(
  placement: CompiledPlacement,
  rule: CompiledRule,
  position: number,
  variant: string,
  reason: Reason,
  attributes: Readonly<Record<string, unknown>>,
): Decision {
  const value = placement.variants.get(variant);
  if (value === undefined) throw new Error(`variant "${variant}" is not the placement's`);
  const segment = rule.segment;
  // The visitor's own values that made the segment match: what "why am I seeing this" tells.
  const values: Record<string, unknown> = {};
  if (segment !== null) {
    for (const path of segment.paths) setOwn(values, path, lookup(attributes, path));
  }
  const explanation: Explanation = {
    rule: position,
    segment: segment ? segment.key : null,
    experiment: rule.experiment ? rule.experiment.key : null,
    purposes: rule.purposes,
    namespaces: segment ? segment.namespaces : [],
    attributes: values,
  };
  return { key: placement.key, value, variant, reason, personalized: true, explanation };
}

/** The value at a dotted path through objects only (arrays are not entered), or null. */
function lookup(attributes: unknown, path: string): unknown {
  let value = attributes;
  for (const part of path.split(".")) {
    if (!isObject(value) || !hasOwn(value, part)) return null;
    value = value[part];
  }
  return value === undefined ? null : value;
}

/** Set an own, enumerable property, even one named "__proto__". */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    target[key] = value;
  }
}

function fallback(
  placement: CompiledPlacement,
  reason: Reason,
  extra: { skipped?: SkippedRule[]; holdout?: HeldOut; error?: string },
): Decision {
  const explanation: Explanation = {
    rule: null,
    segment: null,
    experiment: null,
    purposes: [],
    namespaces: [],
    attributes: {},
    ...extra,
  };
  return {
    key: placement.key,
    value: placement.default,
    variant: "default",
    reason,
    personalized: false,
    explanation,
  };
}
