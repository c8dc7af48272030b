/** The worker's own metrics, in Prometheus's text format: decisions, forwards, the snapshot. */

import type { Decision } from "../engine/index.js";

type Labels = Readonly<Record<string, string>>;

class Counter {
  private readonly values = new Map<string, number>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels, by = 1): void {
    const key = labelText(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  render(): string {
    let text = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} counter\n`;
    for (const [labels, value] of this.values) text += `${this.name}${labels} ${value}\n`;
    return text;
  }
}

function escape(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labelText(labels: Labels): string {
  const parts = Object.keys(labels).map((name) => `${name}="${escape(labels[name] as string)}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

export const decisions = new Counter(
  "tactful_edge_decisions_total",
  "Decisions made at the edge, by placement, reason and personalized.",
);
export const forwarded = new Counter(
  "tactful_edge_forwarded_total",
  "Requests passed to the origin, by why (prefs_or_signals, gpc_unrecorded, consent_outdated, no_snapshot, route).",
);
export const degraded = new Counter(
  "tactful_edge_degraded_total",
  "Requests the edge answered itself because the origin could not be reached, by why.",
);
export const responses = new Counter(
  "tactful_edge_responses_total",
  "Responses of the edge's own endpoints, by route and status.",
);
export const snapshotFetches = new Counter(
  "tactful_edge_snapshot_fetches_total",
  "Snapshot checks with the origin, by result (updated, not_modified, failed).",
);

/** Count the decisions of one answer. */
export function decisionsCount(made: Iterable<Decision>): void {
  for (const decision of made) {
    decisions.inc({
      placement: decision.key,
      reason: decision.reason,
      personalized: decision.personalized ? "true" : "false",
    });
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
    gauge("tactful_edge_snapshot_revision", "The revision this edge decides from (0: none yet).", state.revision),
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
