/** Exponential backoff with full jitter: how long to wait before the next reconnection attempt. */

import type { ReconnectOptions } from "./types.js";

export const DEFAULT_RECONNECT: Required<ReconnectOptions> = {
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
};

/**
 * The delay before attempt `attempt` (0 for the first retry): a uniformly random duration up to
 * `initial × factor^attempt`, capped at `max`. Full jitter spreads the reconnections of many
 * clients after a server restart instead of having them all knock at once.
 */
export function backoffDelay(
  attempt: number,
  random: () => number,
  options: Required<ReconnectOptions> = DEFAULT_RECONNECT,
): number {
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * options.factor ** Math.max(0, attempt));
  const unit = Math.min(Math.max(random(), 0), 1);
  return Math.round(ceiling * unit);
}
