/** Behavioural events: queued, sent in batches, retried with backoff, beaconed on page hide. */

import type { EventOptions, RejectedEvent, TactfulError, TrackEvent, TrackResult } from "./types.js";

export const DEFAULT_EVENTS: Required<EventOptions> = {
  flushIntervalMs: 1000,
  maxBatchSize: 20,
  maxQueueSize: 200,
};

/** Beacons are limited to 64 KiB by browsers, and so are the server's request bodies. */
const BEACON_MAX_BYTES = 60 * 1024;
const RETRY_MAX_MS = 30_000;

/** An event as it travels: `ts` in milliseconds since the epoch. */
export interface WireEvent {
  readonly type: string;
  readonly properties: Readonly<Record<string, string | number | boolean | null>>;
  readonly ts: number;
}

/** How the queue reaches the server. */
export interface EventSender {
  /** POST a batch; resolves to the server's answer (or why it failed) and whether to retry. */
  send(batch: readonly WireEvent[]): Promise<{ result: TrackResult; retry: boolean }>;
  /** Hand a batch to the browser to send even as the page goes away; false if it refused. */
  beacon(batch: readonly WireEvent[]): boolean;
}

/** The events waiting to be sent, and the timer that sends them. */
export class EventQueue {
  private queue: WireEvent[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  /** Flushes run one after the other, never two batches at once. */
  private chain: Promise<unknown> = Promise.resolve();
  private overflow = 0;

  constructor(
    private readonly sender: EventSender,
    private readonly options: Required<EventOptions>,
    private readonly onError: (error: TactfulError) => void,
  ) {}

  get size(): number {
    return this.queue.length;
  }

  /** Queue events; a full batch is sent at once, a partial one after `flushIntervalMs`. */
  push(events: readonly TrackEvent[]): void {
    for (const event of events) {
      this.queue.push({ type: event.type, properties: event.properties ?? {}, ts: event.ts ?? Date.now() });
    }
    this.trim();
    if (this.queue.length >= this.options.maxBatchSize && this.failures === 0) {
      void this.flush();
    } else {
      this.schedule(this.options.flushIntervalMs);
    }
  }

  /** Send what is queued now, one batch after the other. */
  flush(): Promise<TrackResult> {
    const next = this.chain.then(() => this.drain());
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async drain(): Promise<TrackResult> {
    clearTimeout(this.timer);
    this.timer = undefined;
    let accepted = 0;
    let dropped = 0;
    let reason: string | undefined;
    let conversions: number | undefined;
    let error: TactfulError | undefined;
    const rejected: RejectedEvent[] = [];
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatchSize);
      const result = await this.sendBatch(batch);
      accepted += result.accepted;
      dropped += result.dropped;
      reason = result.reason ?? reason;
      if (result.conversions !== undefined) {
        conversions = (conversions ?? 0) + result.conversions;
      }
      rejected.push(...(result.rejected ?? []));
      if (result.error) {
        error = result.error;
        break;
      }
    }
    return {
      accepted,
      dropped,
      ...(reason === undefined ? {} : { reason }),
      ...(rejected.length > 0 ? { rejected } : {}),
      ...(conversions === undefined ? {} : { conversions }),
      ...(error ? { error } : {}),
    };
  }

  /** The page is going away: hand everything to `sendBeacon`, in chunks that fit. */
  flushOnHide(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length > 0) {
      let count = Math.min(this.queue.length, this.options.maxBatchSize);
      while (count > 1 && JSON.stringify({ events: this.queue.slice(0, count) }).length > BEACON_MAX_BYTES) {
        count = Math.ceil(count / 2);
      }
      const batch = this.queue.slice(0, count);
      if (!this.sender.beacon(batch)) {
        // Kept: a later flush (if the page comes back from the bfcache) sends them.
        return;
      }
      this.queue.splice(0, count);
    }
  }

  /** Forget every queued event (consent withdrawn); how many were forgotten. */
  discard(): number {
    const count = this.queue.length;
    this.queue = [];
    clearTimeout(this.timer);
    this.timer = undefined;
    this.failures = 0;
    return count;
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async sendBatch(batch: WireEvent[]): Promise<TrackResult> {
    const { result, retry } = await this.sender.send(batch);
    if (result.error && retry) {
      // Back to the front of the queue, in order, and try again later.
      this.queue.unshift(...batch);
      this.trim();
      this.failures += 1;
      this.schedule(Math.min(RETRY_MAX_MS, this.options.flushIntervalMs * 2 ** this.failures));
      return { accepted: 0, dropped: 0, error: result.error };
    }
    this.failures = 0;
    if (result.error) {
      this.onError(result.error);
    }
    return result;
  }

  private schedule(delay: number): void {
    if (this.timer !== undefined || this.queue.length === 0) {
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delay);
  }

  private trim(): void {
    const excess = this.queue.length - this.options.maxQueueSize;
    if (excess > 0) {
      this.queue.splice(0, excess);
      this.overflow += excess;
      this.onError({
        code: "network",
        message: `${excess} event(s) dropped: more than ${this.options.maxQueueSize} waiting (${this.overflow} in all).`,
      });
    }
  }
}
