/** Tactful's decision engine in TypeScript: the twin of `personalization/engine`, same answers.
 *
 * No runtime dependency and no platform API: it runs in Node, in workerd (the edge worker) and
 * in browsers (the SDK's local evaluation). Held to the Python engine by the shared fixtures in
 * `contracts/engine/`.
 */

export { MAX_DEPTH } from "./conditions/depth.js";
export { compileCondition, evaluateCondition } from "./conditions/compile.js";
export { conditionPaths } from "./conditions/paths.js";
export {
  compileSnapshot,
  conditionManifest,
  purposesFor,
  SnapshotDocumentError,
} from "./compile.js";
export { decide, decideMany, decideWithout, decisionBody } from "./evaluate.js";
export { bucketRanges, chooseVariation, fnv1a32, hashUnit, inRange } from "./hashing.js";
export { NAMESPACE_PURPOSES } from "./types.js";
export type {
  ArmDocument,
  CompiledExperiment,
  CompiledHoldout,
  CompiledPlacement,
  CompiledRule,
  CompiledSegment,
  Decision,
  DecisionBody,
  ExperimentDocument,
  Explanation,
  HeldOut,
  HoldoutDocument,
  JsonValue,
  Matcher,
  PlacementDocument,
  Range,
  Reason,
  RuleDocument,
  SegmentDocument,
  SkippedRule,
  Snapshot,
  SnapshotDocument,
  ValueType,
  VariantDocument,
  Visitor,
} from "./types.js";
