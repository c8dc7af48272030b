/** The engine's data: a snapshot document in, a compiled snapshot and a visitor in, decisions out. */

/** Any JSON value, as a snapshot document or a decision holds them. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A test of attributes compiled from a condition; it never throws. */
export type Matcher = (attributes: unknown) => boolean;

/** Which consent purpose each attribute namespace needs; `context` needs none. */
export const NAMESPACE_PURPOSES: ReadonlyMap<string, string | null> = new Map([
  ["context", null],
  ["prefs", "personalization"],
  ["signals", "personalization"],
]);

/** OpenFeature's reasons, plus Tactful's CONSENT_REQUIRED. */
export type Reason =
  | "TARGETING_MATCH"
  | "SPLIT"
  | "DEFAULT"
  | "DISABLED"
  | "ERROR"
  | "CONSENT_REQUIRED";

export type ValueType = "boolean" | "string" | "number" | "json";

// --- The snapshot document: what `personalization.selectors.config_document` produces ---------

export interface SegmentDocument {
  readonly name?: string;
  readonly description?: string;
  readonly condition: JsonValue;
}

export interface ArmDocument {
  readonly variant: string;
  readonly weight: number;
}

export interface ExperimentDocument {
  readonly name?: string;
  readonly placement?: string;
  readonly status: string;
  readonly coverage?: number;
  readonly seed?: string | null;
  readonly hash_version?: number;
  readonly required_purpose?: string | null;
  readonly arms: readonly ArmDocument[];
}

export interface RuleDocument {
  readonly order: number;
  readonly segment?: string | null;
  readonly variant?: string | null;
  readonly experiment?: string | null;
  readonly rollout?: number;
}

export interface VariantDocument {
  readonly value: JsonValue;
  readonly description?: string;
}

/** A placement's holdout: `percentage` of measured visitors kept on the default. */
export interface HoldoutDocument {
  readonly percentage?: number;
  /** Default "holdout:" + the placement key. */
  readonly seed?: string | null;
  /** Default "measurement"; null: none needed. */
  readonly required_purpose?: string | null;
}

export interface PlacementDocument {
  readonly name?: string;
  readonly description?: string;
  readonly value_type: ValueType;
  readonly default: JsonValue;
  readonly enabled: boolean;
  readonly variants: Readonly<Record<string, VariantDocument>>;
  readonly rules: readonly RuleDocument[];
  readonly holdout?: HoldoutDocument | null;
}

export interface SnapshotDocument {
  readonly revision: number;
  readonly segments: Readonly<Record<string, SegmentDocument>>;
  readonly experiments: Readonly<Record<string, ExperimentDocument>>;
  readonly placements: Readonly<Record<string, PlacementDocument>>;
}

// --- The compiled snapshot --------------------------------------------------------------------

/** A half-open bucket [start, end) of the unit interval. */
export type Range = readonly [start: number, end: number];

export interface CompiledSegment {
  readonly key: string;
  readonly matches: Matcher;
  /** The attribute paths the condition reads, sorted. */
  readonly paths: readonly string[];
  /** The namespaces of those paths, sorted. */
  readonly namespaces: readonly string[];
  /** The purposes those namespaces need, sorted. */
  readonly purposes: readonly string[];
}

export interface CompiledExperiment {
  readonly key: string;
  readonly seed: string;
  readonly hashVersion: number;
  readonly variants: readonly string[];
  readonly ranges: readonly Range[];
  readonly requiredPurpose: string | null;
  readonly running: boolean;
}

export interface CompiledRule {
  readonly order: number;
  readonly segment: CompiledSegment | null;
  readonly variant: string | null;
  readonly experiment: CompiledExperiment | null;
  readonly rollout: number;
  /** The purposes a visitor must have granted for the rule to be considered, sorted. */
  readonly purposes: readonly string[];
}

/** A persistent share of a placement's visitors kept on the default even when a rule serves
 * them, to measure what personalization itself is worth. */
export interface CompiledHoldout {
  /** Held out when hashUnit(seed, subject, 2) < share. */
  readonly share: number;
  readonly seed: string;
  /** Only visitors who granted it are held out (null: everyone with a subject). */
  readonly requiredPurpose: string | null;
}

export interface CompiledPlacement {
  readonly key: string;
  readonly valueType: ValueType;
  readonly default: JsonValue;
  readonly enabled: boolean;
  readonly variants: ReadonlyMap<string, JsonValue>;
  readonly rules: readonly CompiledRule[];
  readonly holdout: CompiledHoldout | null;
}

export interface Snapshot {
  readonly revision: number;
  readonly placements: ReadonlyMap<string, CompiledPlacement>;
}

// --- A decision -------------------------------------------------------------------------------

/** Who is asking: only the namespaces of granted purposes are ever filled in. */
export interface Visitor {
  readonly subjectId: string | null;
  /** Attribute namespaces (`context`, `prefs`, `signals`), each an object of JSON values. */
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly granted: ReadonlySet<string>;
}

/** What a held-out visitor would have been served instead of the default. */
export interface HeldOut {
  readonly rule: number;
  readonly segment: string | null;
  readonly experiment: string | null;
  readonly variant: string;
  readonly purposes: readonly string[];
}

/** A rule passed over because the visitor has not granted the purposes it needs. */
export interface SkippedRule {
  readonly rule: number;
  readonly segment: string | null;
  readonly missing_purposes: readonly string[];
}

/** Why a decision came out as it did; the same keys, in the same order, as the Python engine's. */
export interface Explanation {
  readonly rule: number | null;
  readonly segment: string | null;
  readonly experiment: string | null;
  readonly purposes: readonly string[];
  readonly namespaces: readonly string[];
  /** The visitor's own values that made the segment match, by path. */
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly skipped?: readonly SkippedRule[];
  readonly holdout?: HeldOut;
  readonly error?: string;
}

/** What `Decision.as_dict()` gives in Python, the JSON form every tier serves. */
export interface DecisionBody {
  readonly value: JsonValue;
  /** The variant served, or "default". */
  readonly variant: string;
  readonly reason: Reason;
  readonly personalized: boolean;
  readonly explanation: Explanation;
}

export interface Decision extends DecisionBody {
  readonly key: string;
}
