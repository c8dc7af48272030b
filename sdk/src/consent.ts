/** The visitor's consent as the client knows it: read and changed through `/api/v1/consent`. */

import { isRecord } from "./http.js";
import type { ConsentState } from "./types.js";

/** The fail-closed state: nothing but what is strictly necessary. */
export const NECESSARY_ONLY: ConsentState = { subject: null, purposes: { necessary: true }, gpc: false };

/** A consent state from an API answer, or null when the answer does not look like one. */
export function parseConsent(body: unknown): ConsentState | null {
  if (!isRecord(body) || !isRecord(body["purposes"])) {
    return null;
  }
  const purposes: Record<string, boolean> = {};
  for (const [key, granted] of Object.entries(body["purposes"])) {
    if (typeof granted !== "boolean") {
      return null;
    }
    purposes[key] = granted;
  }
  const subject = body["subject"];
  const ask = body["ask"];
  return {
    subject: typeof subject === "string" ? subject : null,
    purposes,
    gpc: body["gpc"] === true,
    ...(Array.isArray(ask) ? { ask: ask.filter((key): key is string => typeof key === "string") } : {}),
  };
}

/** What changed between two consent states. */
export interface ConsentChange {
  /** The visitor became a subject, or another one (new cookie): sockets must reconnect. */
  readonly subjectChanged: boolean;
  /** Purposes granted before and not any more. */
  readonly withdrawn: readonly string[];
  /** Anything at all changed. */
  readonly changed: boolean;
}

export function consentChange(before: ConsentState | null, after: ConsentState): ConsentChange {
  const withdrawn = Object.entries(before?.purposes ?? {})
    .filter(([key, granted]) => granted && after.purposes[key] !== true)
    .map(([key]) => key);
  const subjectChanged = (before?.subject ?? null) !== after.subject;
  const changed =
    before === null ||
    subjectChanged ||
    before.gpc !== after.gpc ||
    JSON.stringify(before.ask ?? []) !== JSON.stringify(after.ask ?? []) ||
    JSON.stringify(sortedEntries(before.purposes)) !== JSON.stringify(sortedEntries(after.purposes));
  return { subjectChanged, withdrawn, changed };
}

function sortedEntries(purposes: Readonly<Record<string, boolean>>): [string, boolean][] {
  return Object.entries(purposes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
