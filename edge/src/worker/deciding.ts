/** Deciding at the edge: the engine on the edge snapshot, for the consent a token vouches for.
 *
 * What the edge cannot know, it leaves to the origin: a rule it would have to consider that
 * reads preferences or signals (which only the origin holds), a Global Privacy Control signal
 * the origin has not recorded for the subject yet, and a consent token older than the request's
 * subject token. The answers are then exactly the origin's.
 */

import { type Decision, decideWithout, NAMESPACE_PURPOSES, type Visitor } from "../engine/index.js";
import type { RequestConsent } from "./consent.js";
import type { Loaded } from "./snapshot.js";

const AT_THE_ORIGIN_ONLY: ReadonlySet<string> = new Set(
  [...NAMESPACE_PURPOSES.keys()].filter((namespace) => namespace !== "context"),
);

export type ForwardReason = "prefs_or_signals" | "gpc_unrecorded" | "consent_outdated";

export type Outcome =
  | {
      readonly kind: "decided";
      readonly revision: number;
      readonly decisions: Map<string, Decision>;
      readonly consent: Readonly<Record<string, boolean>>;
    }
  | { readonly kind: "unknown"; readonly keys: string[] }
  | { readonly kind: "forward"; readonly why: ForwardReason };

/** Decide `keys` (every placement when null) for a request with `context` and `consent`.
 * With `degraded` (the origin is unreachable), what only the origin could decide is decided
 * without it: preferences and signals absent, an outdated consent as nobody's. */
export function decideAtEdge(
  loaded: Loaded,
  consent: RequestConsent,
  gpc: boolean,
  context: Readonly<Record<string, unknown>>,
  keys: readonly string[] | null,
  degraded = false,
): Outcome {
  const snapshot = loaded.snapshot;
  const wanted = keys === null ? [...snapshot.placements.keys()] : [...new Set(keys)];
  const unknown = wanted.filter((key) => !snapshot.placements.has(key));
  if (unknown.length) return { kind: "unknown", keys: unknown };
  if (consent.kind === "outdated" && !degraded) return { kind: "forward", why: "consent_outdated" };
  const claims = consent.kind === "subject" ? consent.claims : null;
  if (claims !== null && gpc && !claims.gpc && !degraded) {
    return { kind: "forward", why: "gpc_unrecorded" };
  }
  let purposes = claims !== null ? claims.purposes : loaded.anonymousConsent;
  if (claims !== null && gpc && purposes.advertising) {
    // Degraded only (else forwarded above): GPC turns advertising off, as the origin would.
    purposes = { ...purposes, advertising: false };
  }
  const granted = new Set(Object.keys(purposes).filter((purpose) => purposes[purpose]));
  const visitor: Visitor = {
    subjectId: claims !== null ? claims.subjectId : null,
    attributes: { context },
    granted,
  };
  const missing = degraded ? new Set<string>() : AT_THE_ORIGIN_ONLY;
  const decisions = new Map<string, Decision>();
  for (const key of wanted) {
    const decision = decideWithout(snapshot.placements.get(key)!, visitor, missing);
    if (decision === null) return { kind: "forward", why: "prefs_or_signals" };
    decisions.set(key, decision);
  }
  return { kind: "decided", revision: snapshot.revision, decisions, consent: purposes };
}
