/** Exposures of the decisions this edge made for measured subjects, reported to the origin.
 *
 * The origin counts what a measured visitor was served (experiment arms, rules, holdouts) for
 * its outcomes; decisions made here would be missing from them, so they are kept in a bounded
 * buffer and posted in batches (`POST /api/v1/edge/exposures`, edge key) from the requests
 * being served, every couple of seconds or when a batch is full. The origin checks consent
 * again before recording. A batch that fails goes back to the buffer; past its bound, the
 * oldest are dropped (and counted).
 */

import type { Decision } from "../engine/index.js";
import type { Claims } from "./consent.js";
import type { Context, Settings } from "./env.js";
import { exposuresCounted } from "./metrics.js";

const BATCH = 200;
const FLUSH_MS = 2000;
const BOUND = 20_000;

interface EdgeDecision {
  readonly placement: string;
  readonly reason: string;
  readonly variant: string;
  readonly segment: string | null;
  readonly experiment: string | null;
  readonly holdout?: unknown;
}

interface Exposure {
  readonly subject: string;
  readonly revision: number;
  readonly decisions: EdgeDecision[];
}

/** The part of a decision that puts its visitor in a cohort; null for a plain default. */
function cohortPart(decision: Decision): EdgeDecision | null {
  const { explanation } = decision;
  const base = {
    placement: decision.key,
    reason: decision.reason,
    variant: decision.variant,
    segment: explanation.segment,
    experiment: explanation.experiment,
  };
  if (decision.reason === "TARGETING_MATCH" || decision.reason === "SPLIT") return base;
  if (decision.reason === "DEFAULT" && explanation.holdout !== undefined) {
    const { segment, experiment, variant } = explanation.holdout;
    return { ...base, holdout: { segment, experiment, variant } };
  }
  return null;
}

export class ExposureBuffer {
  private pending: Exposure[] = [];
  private flushedAt = 0;
  private flushing = false;

  constructor(private readonly settings: Settings) {}

  /** Keep what `decisions` exposed a subject who granted measurement to. */
  add(claims: Claims, revision: number, decisions: Iterable<Decision>): void {
    if (claims.purposes.measurement !== true) return;
    const parts: EdgeDecision[] = [];
    for (const decision of decisions) {
      const part = cohortPart(decision);
      if (part !== null) parts.push(part);
    }
    if (parts.length === 0) return;
    this.pending.push({ subject: claims.subjectId, revision, decisions: parts });
    if (this.pending.length > BOUND) {
      exposuresCounted.add(this.pending.length - BOUND, "dropped");
      this.pending.splice(0, this.pending.length - BOUND);
    }
  }

  /** From a request: post a batch when one is full or the period is over. */
  tend(ctx: Context): void {
    if (this.flushing || this.pending.length === 0) return;
    const now = Date.now();
    if (this.pending.length < BATCH && now - this.flushedAt < FLUSH_MS) return;
    this.flushedAt = now;
    ctx.waitUntil(this.flush());
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    const batch = this.pending.splice(0, BATCH);
    try {
      const response = await fetch(`${this.settings.origin}/api/v1/edge/exposures`, {
        method: "POST",
        headers: {
          Authorization: `Bearer ${this.settings.edgeKey}`,
          "Content-Type": "application/json",
        },
        body: JSON.stringify({ exposures: batch }),
        signal: AbortSignal.timeout(this.settings.forwardTimeoutMs),
      });
      await response.body?.cancel();
      if (response.status === 400) {
        // Refused as malformed: sending it again would be refused again.
        exposuresCounted.add(batch.length, "refused");
        return;
      }
      if (response.status !== 202) throw new Error(`status ${response.status}`);
      exposuresCounted.add(batch.length, "reported");
    } catch (error) {
      this.pending.unshift(...batch);
      console.warn(`edge exposures not reported: ${String(error)}`);
    } finally {
      this.flushing = false;
    }
  }
}
