/** The worker's own metrics, in Prometheus's text format: decisions, forwards, the snapshot. */

import type { Decision } from "../engine/index.js";

class Counter {
  // By the label values joined with NUL, each with its label text, on the hot path: no label
  // text is built per increment.
  private readonly values = new Map<string, { labels: string; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly names: readonly string[],
  ) {}

  inc(...values: string[]): void {
    this.add(1, ...values);
  }

  add(by: number, ...values: string[]): void {
    const key = values.join("\u0000");
    const entry = this.values.get(key);
    if (entry !== undefined) entry.value += by;
    else {
      const labels: Record<string, string> = {};
      this.names.forEach((name, index) => (labels[name] = values[index] ?? ""));
      this.values.set(key, { labels: labelText(labels), value: by });
    }
  }

  render(): string {
    let text = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} counter\n`;
    for (const { labels, value } of this.values.values())
      text += `${this.name}${labels} ${value}\n`;
    return text;
  }
}

function escape(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labelText(labels: Readonly<Record<string, string>>): string {
  const parts = Object.keys(labels).map((name) => `${name}="${escape(labels[name] as string)}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

export const decisions = new Counter(
  "tactful_edge_decisions_total",
  "Decisions made at the edge, by placement, reason and personalized.",
  ["placement", "reason", "personalized"],
);
export const forwarded = new Counter(
  "tactful_edge_forwarded_total",
  "Requests passed to the origin, by why (prefs_or_signals, gpc_unrecorded, consent_outdated, no_snapshot, route).",
  ["why"],
);
export const degraded = new Counter(
  "tactful_edge_degraded_total",
  "Requests the edge answered itself because the origin could not be reached, by why.",
  ["why"],
);
export const responses = new Counter(
  "tactful_edge_responses_total",
  "Responses of the edge's own endpoints, by route and status.",
  ["route", "status"],
);
export const exposuresCounted = new Counter(
  "tactful_edge_exposures_total",
  "Exposures of measured subjects, by result (reported to the origin, refused by it, dropped past the buffer's bound).",
  ["result"],
);
export const snapshotFetches = new Counter(
  "tactful_edge_snapshot_fetches_total",
  "Snapshot checks with the origin, by result (updated, not_modified, failed).",
  ["result"],
);

/** Count the decisions of one answer. */
export function decisionsCount(made: Iterable<Decision>): void {
  for (const decision of made) {
    decisions.inc(decision.key, decision.reason, decision.personalized ? "true" : "false");
  }
}

export interface SnapshotState {
  readonly revision: number;
  /** Seconds since the origin last confirmed the snapshot is current; null before the first. */
  readonly ageSeconds: number | null;
  readonly pushConnected: boolean;
}

function gauge(name: string, help: string, value: number): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} gauge\n${name} ${value}\n`;
}

/** Every metric, as Prometheus text. */
export function metricsText(state: SnapshotState): string {
  return [
    decisions.render(),
    forwarded.render(),
    degraded.render(),
    responses.render(),
    snapshotFetches.render(),
    exposuresCounted.render(),
    gauge(
      "tactful_edge_snapshot_revision",
      "The revision this edge decides from (0: none yet).",
      state.revision,
    ),
    gauge(
      "tactful_edge_snapshot_age_seconds",
      "Seconds since the origin last confirmed the snapshot is current (-1: never).",
      state.ageSeconds ?? -1,
    ),
    gauge(
      "tactful_edge_push_connected",
      "1 while the revision stream from the origin is open.",
      state.pushConnected ? 1 : 0,
    ),
  ].join("");
}
