/** Reading the server's answers: checked at the boundary, so that nothing malformed reaches the page. */

import { parseConsent } from "./consent.js";
import { isRecord } from "./http.js";
import type { Decision, Decisions, RejectedEvent, TrackResult } from "./types.js";

const REASONS = new Set(["TARGETING_MATCH", "SPLIT", "DEFAULT", "DISABLED", "ERROR", "CONSENT_REQUIRED"]);

/** The decisions in `raw` (a placement key → decision object); null when it is not such a map. */
export function parseDecisions(raw: unknown): Decisions | null {
  if (!isRecord(raw)) {
    return null;
  }
  const decisions: Record<string, Decision> = {};
  for (const [key, decision] of Object.entries(raw)) {
    if (
      isRecord(decision) &&
      "value" in decision &&
      typeof decision["reason"] === "string" &&
      REASONS.has(decision["reason"]) &&
      typeof decision["personalized"] === "boolean"
    ) {
      decisions[key] = {
        ...(decision as unknown as Decision),
        explanation: isRecord(decision["explanation"]) ? (decision["explanation"] as Decision["explanation"]) : {},
      };
    }
  }
  return decisions;
}

/** What `POST /api/v1/decide` answers: decisions, revision and the consent they were made with. */
export interface DecideAnswer {
  readonly decisions: Decisions;
  readonly revision: number | null;
  readonly purposes: Record<string, boolean> | null;
}

/** The decide answer in `body`, or null when it is not one. */
export function parseDecideAnswer(body: unknown): DecideAnswer | null {
  const decisions = isRecord(body) ? parseDecisions(body["decisions"]) : null;
  if (!isRecord(body) || decisions === null) {
    return null;
  }
  const consent = parseConsent({ purposes: body["consent"] });
  return {
    decisions,
    revision: typeof body["revision"] === "number" ? body["revision"] : null,
    purposes: consent ? { ...consent.purposes } : null,
  };
}

/** The events answer in `body` (`sent` events were posted); a strange body counts nothing. */
export function parseTrackAnswer(body: unknown, sent: number): TrackResult {
  if (!isRecord(body)) {
    return { accepted: 0, dropped: 0 };
  }
  const accepted = typeof body["accepted"] === "number" ? body["accepted"] : 0;
  const dropped = typeof body["dropped"] === "number" ? body["dropped"] : sent - accepted;
  const reason = typeof body["reason"] === "string" ? body["reason"] : undefined;
  const conversions = typeof body["conversions"] === "number" ? body["conversions"] : undefined;
  const rejected = Array.isArray(body["rejected"])
    ? body["rejected"].filter(
        (r): r is RejectedEvent =>
          isRecord(r) &&
          typeof r["index"] === "number" &&
          typeof r["code"] === "string" &&
          typeof r["message"] === "string",
      )
    : [];
  return {
    accepted,
    dropped,
    ...(reason === undefined ? {} : { reason }),
    ...(rejected.length > 0 ? { rejected } : {}),
    ...(conversions === undefined ? {} : { conversions }),
  };
}
