/** The worker's configuration: bindings (workerd's config, or wrangler's vars and secrets). */

/** What the runtime hands the worker: every binding is text. */
export interface Env {
  /** The origin's base URL, e.g. https://tactful.example.com (no trailing slash needed). */
  readonly ORIGIN_URL?: string;
  /** An active edge key (admin → Edge keys): reads the edge snapshot and its revision stream. */
  readonly EDGE_KEY?: string;
  /** How often the snapshot is checked with its ETag, push or not (seconds; default 5). */
  readonly POLL_SECONDS?: string;
  /** The JWK set that verifies consent tokens; default: the origin's /.well-known/jwks.json. */
  readonly CONSENT_JWKS?: string;
  /** Larger request bodies get 413 (default 65536, as the origin's TACTFUL_MAX_BODY_BYTES). */
  readonly MAX_BODY_BYTES?: string;
  /** How long a request forwarded to the origin may take (milliseconds; default 5000). */
  readonly FORWARD_TIMEOUT_MS?: string;
  /** When set, /edge/metrics asks for `Authorization: Bearer <token>`. */
  readonly METRICS_TOKEN?: string;
  /** "false": listen to no revision stream (ETag polling alone; for measuring). */
  readonly PUSH?: string;
}

/** What the runtime gives each request to keep work going after the response. */
export interface Context {
  waitUntil(promise: Promise<unknown>): void;
}

export interface Settings {
  readonly origin: string;
  readonly edgeKey: string;
  readonly pollMs: number;
  readonly jwks: string | null;
  readonly maxBodyBytes: number;
  readonly forwardTimeoutMs: number;
  readonly metricsToken: string | null;
  readonly push: boolean;
}

function positive(value: string | undefined, fallback: number): number {
  const number = Number(value);
  return value !== undefined && value !== "" && Number.isFinite(number) && number > 0
    ? number
    : fallback;
}

/** Read the bindings once; throws a plain error naming what is missing. */
export function settingsFrom(env: Env): Settings {
  if (!env.ORIGIN_URL) throw new Error("ORIGIN_URL is not set: the origin's base URL.");
  if (!env.EDGE_KEY) throw new Error("EDGE_KEY is not set: an edge key from the origin's admin.");
  return {
    origin: env.ORIGIN_URL.replace(/\/+$/, ""),
    edgeKey: env.EDGE_KEY,
    pollMs: positive(env.POLL_SECONDS, 5) * 1000,
    jwks: env.CONSENT_JWKS ? env.CONSENT_JWKS : null,
    maxBodyBytes: positive(env.MAX_BODY_BYTES, 65536),
    forwardTimeoutMs: positive(env.FORWARD_TIMEOUT_MS, 5000),
    metricsToken: env.METRICS_TOKEN ? env.METRICS_TOKEN : null,
    push: env.PUSH !== "false",
  };
}
