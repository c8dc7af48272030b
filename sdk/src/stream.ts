/** One live subscription's websocket: subscribe, follow pushes, heartbeats, reconnect and resume. */

import { parseDecisions } from "./answers.js";
import { backoffDelay } from "./backoff.js";
import { describe, isRecord } from "./http.js";
import type { Context, Decisions, ReconnectOptions, TactfulError, WebSocketConstructor } from "./types.js";

/** Closed by the server for sending too big a message: sending it again would not help. */
export const CLOSE_TOO_BIG = 1009;
/** Closed by the server for sending too many messages: come back, but slowly. */
export const CLOSE_FLOOD = 4429;
/** Closed by the client: the server went quiet (no heartbeat). */
export const CLOSE_SILENT = 4000;
/** Closed by the client: reconnecting on purpose (e.g. the visitor became a subject). */
export const CLOSE_RESTART = 4001;
const CLOSE_NORMAL = 1000;
/** Reconnections after a flood close start at this ceiling instead of the usual one. */
const FLOOD_BACKOFF_ATTEMPT = 5;

/** A `decisions` message, as the server sends it. */
export interface DecisionsMessage {
  readonly revision: number;
  readonly seq: number;
  readonly decisions: Decisions;
  readonly changed: readonly string[];
  readonly etag: string;
}

export interface StreamOptions {
  readonly url: string;
  /** Every placement when undefined. */
  readonly placements: readonly string[] | undefined;
  readonly context: Context;
  /** The subject token to subscribe with (header identity); null: the cookie, or nobody. */
  readonly token: () => string | null;
  readonly WebSocket: WebSocketConstructor;
  readonly random: () => number;
  readonly reconnect: Required<ReconnectOptions>;
  /** Reconnect when nothing at all arrived for this long (the server heartbeats every 25 s). */
  readonly silenceMs: number;
  /** A full set of decisions arrived (first answer, a push, or a resume that was not current). */
  readonly onDecisions: (message: DecisionsMessage) => void;
  /** The stream is in sync with the server (`true`), or lost it and is reconnecting (`false`). */
  readonly onSync: (inSync: boolean) => void;
  readonly onError: (error: TactfulError) => void;
}

type Phase = "connecting" | "open" | "waiting" | "closed";

/**
 * A websocket that stays subscribed: it answers the server's protocol (see
 * `personalization/consumers.py`), reconnects with exponential backoff and full jitter, and
 * resumes by sequence number and etag so that a reconnection resends nothing already known.
 */
export class DecisionStream {
  private socket: WebSocket | null = null;
  private phase: Phase = "closed";
  private attempt = 0;
  private seq: number | null = null;
  private etag: string | null = null;
  private context: Context;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private silenceTimer: ReturnType<typeof setTimeout> | undefined;
  private inSync = false;

  constructor(private readonly options: StreamOptions) {
    this.context = options.context;
  }

  /** Open the socket (and keep it open until `close()`). */
  start(): void {
    if (this.phase !== "closed") {
      return;
    }
    this.connect();
  }

  /** Send a new context: the server re-decides and pushes what changed. */
  update(context: Context): void {
    this.context = context;
    // Messages are handled in order: a context sent after the subscribe applies to it.
    if (this.phase === "open") {
      this.send({ type: "context", context });
    }
  }

  /**
   * Reconnect now, from scratch: a socket's visitor is fixed at its handshake, so after the
   * visitor's first consent choice (a new subject cookie) a new socket is needed.
   */
  restart(): void {
    if (this.phase === "closed" && this.socket === null && this.retryTimer === undefined) {
      return;
    }
    this.seq = null;
    this.etag = null;
    this.attempt = 0;
    this.drop(CLOSE_RESTART, "restart");
    this.connect();
  }

  /** The network is back: stop waiting for the next attempt and reconnect now (resuming). */
  retryNow(): void {
    if (this.phase === "waiting") {
      this.attempt = 0;
      this.connect();
    }
  }

  /** Close for good. */
  close(): void {
    this.drop(CLOSE_NORMAL, "closed by the page");
    this.phase = "closed";
  }

  private connect(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.phase = "connecting";
    let socket: WebSocket;
    try {
      socket = new this.options.WebSocket(this.options.url);
    } catch (error) {
      this.options.onError({ code: "network", message: `Cannot open ${this.options.url}: ${describe(error)}` });
      this.socket = null;
      this.scheduleRetry(this.attempt);
      return;
    }
    this.socket = socket;
    this.watchSilence();
    socket.onopen = () => {
      if (this.socket !== socket) {
        return;
      }
      this.phase = "open";
      const token = this.options.token();
      this.send({
        type: "subscribe",
        ...(this.options.placements === undefined ? {} : { placements: this.options.placements }),
        context: this.context,
        ...(token === null ? {} : { token }),
        ...(this.seq !== null && this.etag !== null ? { resume: { seq: this.seq, etag: this.etag } } : {}),
      });
    };
    socket.onmessage = (event: MessageEvent) => {
      if (this.socket === socket) {
        this.receive(event.data);
      }
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.socket === socket) {
        this.lost(event.code, event.reason);
      }
    };
    // Errors are followed by a close event, which is where reconnection happens.
    socket.onerror = () => undefined;
  }

  private receive(data: unknown): void {
    this.watchSilence();
    let message: unknown;
    try {
      message = typeof data === "string" ? JSON.parse(data) : null;
    } catch {
      message = null;
    }
    if (!isRecord(message) || typeof message["type"] !== "string") {
      this.options.onError({ code: "protocol", message: "The server sent a message that is not a JSON object." });
      return;
    }
    if (typeof message["seq"] === "number") {
      this.seq = message["seq"];
    }
    switch (message["type"]) {
      case "decisions":
        this.receiveDecisions(message);
        break;
      case "resumed":
        if (typeof message["etag"] === "string") {
          this.etag = message["etag"];
        }
        this.synced();
        break;
      case "error":
        this.receiveError(message);
        break;
      default:
        // heartbeat, pong, and types a newer server may add: their seq was noted above.
        break;
    }
  }

  private receiveDecisions(message: Record<string, unknown>): void {
    const decisions = parseDecisions(message["decisions"]);
    if (decisions === null || typeof message["revision"] !== "number") {
      this.options.onError({ code: "protocol", message: "A decisions message without decisions." });
      return;
    }
    const etag = typeof message["etag"] === "string" ? message["etag"] : "";
    this.etag = etag || null;
    const changed = Array.isArray(message["changed"])
      ? message["changed"].filter((key): key is string => typeof key === "string")
      : Object.keys(decisions);
    this.options.onDecisions({
      revision: message["revision"],
      seq: this.seq ?? 0,
      decisions,
      changed,
      etag,
    });
    this.synced();
  }

  private receiveError(message: Record<string, unknown>): void {
    const code = typeof message["code"] === "string" ? message["code"] : "error";
    const text = typeof message["message"] === "string" ? message["message"] : "The server reported an error.";
    this.options.onError({ code: "protocol", message: `${code}: ${text}` });
    if (code === "subject_mismatch") {
      this.restart();
    }
  }

  private synced(): void {
    this.attempt = 0;
    if (!this.inSync) {
      this.inSync = true;
      this.options.onSync(true);
    }
  }

  private lost(code: number, reason: string): void {
    this.socket = null;
    clearTimeout(this.silenceTimer);
    if (this.phase === "closed") {
      return;
    }
    this.options.onError({
      code: "closed",
      message: `Live updates interrupted (${code}${reason ? `: ${reason}` : ""}).`,
      status: code,
    });
    if (this.inSync) {
      this.inSync = false;
      this.options.onSync(false);
    }
    if (code === CLOSE_TOO_BIG) {
      // The same subscription would be refused again: stay on what is known.
      this.phase = "closed";
      return;
    }
    this.scheduleRetry(code === CLOSE_FLOOD ? Math.max(this.attempt, FLOOD_BACKOFF_ATTEMPT) : this.attempt);
  }

  private scheduleRetry(attempt: number): void {
    this.phase = "waiting";
    const delay = backoffDelay(attempt, this.options.random, this.options.reconnect);
    this.attempt = attempt + 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connect();
    }, delay);
  }

  private watchSilence(): void {
    clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => {
      // A socket can die without a close frame (sleeping laptop, dropped NAT entry).
      const socket = this.socket;
      this.socket = null;
      safeClose(socket, CLOSE_SILENT, "no heartbeat");
      this.lost(CLOSE_SILENT, "no heartbeat");
    }, this.options.silenceMs);
  }

  private drop(code: number, reason: string): void {
    clearTimeout(this.retryTimer);
    clearTimeout(this.silenceTimer);
    this.retryTimer = undefined;
    const socket = this.socket;
    this.socket = null;
    safeClose(socket, code, reason);
  }

  private send(message: Record<string, unknown>): void {
    try {
      this.socket?.send(JSON.stringify(message));
    } catch (error) {
      this.options.onError({ code: "network", message: `Cannot send on the socket: ${describe(error)}` });
    }
  }
}

function safeClose(socket: WebSocket | null, code: number, reason: string): void {
  if (socket === null) {
    return;
  }
  socket.onopen = null;
  socket.onmessage = null;
  socket.onclose = null;
  socket.onerror = null;
  try {
    socket.close(code, reason);
  } catch {
    // Already closed or closing.
  }
}
