/** The edge snapshot this worker decides from: fetched with its ETag, kept when the origin is
 * unreachable (last known good), checked every poll period and as soon as the origin's
 * revision stream says a newer revision is out.
 *
 * Every check starts from a request being served, in that request's own context: the stream is
 * read in the background, but the runtime does not reliably start new I/O from a context whose
 * request has ended (a fetch started there can hang, its timeout never firing). So the stream
 * only marks the snapshot stale, and the next request fetches it. */

import { compileSnapshot, type Snapshot } from "../engine/index.js";
import type { Context, Settings } from "./env.js";
import { snapshotFetches } from "./metrics.js";

export const EDGE_FORMAT = "tactful.edge-snapshot/1";

/** A compiled snapshot, with what else the edge snapshot says. */
export interface Loaded {
  readonly snapshot: Snapshot;
  readonly etag: string;
  /** The consent an anonymous visitor has, as the origin answers it: purpose → always on. */
  readonly anonymousConsent: Readonly<Record<string, boolean>>;
}

interface PurposeEntry {
  readonly key: string;
  readonly always_on: boolean;
}

function load(body: unknown, etag: string): Loaded {
  if (typeof body !== "object" || body === null) throw new Error("not an object");
  const { format, purposes, document } = body as Record<string, unknown>;
  if (format !== EDGE_FORMAT) throw new Error(`unknown format ${String(format)}`);
  if (!Array.isArray(purposes)) throw new Error("no purposes");
  const anonymousConsent: Record<string, boolean> = {};
  for (const entry of purposes as PurposeEntry[]) {
    if (typeof entry?.key !== "string") throw new Error("malformed purpose");
    anonymousConsent[entry.key] = entry.always_on === true;
  }
  return { snapshot: compileSnapshot(document), etag, anonymousConsent };
}

/** One worker's snapshot: swapped only for a newer revision that compiled. */
export class SnapshotHolder {
  current: Loaded | null = null;
  /** When the origin last confirmed `current` (ms since the epoch; 0: never). */
  confirmedAt = 0;
  pushConnected = false;
  private lastCheckAt = 0;
  private checking = false;
  private pushStartedAt = 0;
  /** The newest revision the origin's stream announced. */
  private announced = 0;

  constructor(private readonly settings: Settings) {}

  /** Keep the snapshot current from a request: a check when the poll period is over, and the
   * revision stream (re)opened if closed. Never delays the request. */
  tend(ctx: Context): void {
    const now = Date.now();
    // Without a snapshot yet, the first load is tried again every second; a newer revision
    // announced is fetched at once (a failed fetch of it is retried after 100 ms).
    const period =
      this.current === null
        ? 1000
        : this.announced > this.current.snapshot.revision
          ? 100
          : this.settings.pollMs;
    // A check still running after twice its timeout is taken as lost.
    const free = !this.checking || now - this.lastCheckAt > 2 * this.settings.forwardTimeoutMs;
    if (free && now - this.lastCheckAt >= period) ctx.waitUntil(this.check());
    // A stream that broke is opened again at most once a second.
    if (this.settings.push && !this.pushConnected && now - this.pushStartedAt >= 1000) {
      this.pushStartedAt = now;
      ctx.waitUntil(this.follow());
    }
  }

  /** Ask the origin with the ETag; a newer snapshot replaces the current one once compiled. */
  async check(): Promise<void> {
    this.checking = true;
    this.lastCheckAt = Date.now();
    try {
      const headers: Record<string, string> = { Authorization: `Bearer ${this.settings.edgeKey}` };
      if (this.current !== null) headers["If-None-Match"] = this.current.etag;
      const response = await fetch(`${this.settings.origin}/api/v1/edge/snapshot`, {
        headers,
        signal: AbortSignal.timeout(this.settings.forwardTimeoutMs),
      });
      if (response.status === 304) {
        await response.body?.cancel();
        this.confirmedAt = Date.now();
        snapshotFetches.inc("not_modified");
        return;
      }
      if (response.status !== 200) throw new Error(`status ${response.status}`);
      const loaded = load(await response.json(), response.headers.get("ETag") ?? "");
      if (this.current === null || loaded.snapshot.revision >= this.current.snapshot.revision) {
        this.current = loaded;
      }
      this.confirmedAt = Date.now();
      snapshotFetches.inc("updated");
    } catch (error) {
      // The last known good snapshot stays; the next period tries again.
      snapshotFetches.inc("failed");
      console.warn(`edge snapshot check failed: ${String(error)}`);
    } finally {
      this.checking = false;
    }
  }

  /** Listen to the origin's revision stream (server-sent events): a `revision` event newer than
   * the current snapshot makes the next request fetch it. Returns when the stream ends. */
  async follow(): Promise<void> {
    try {
      const response = await fetch(`${this.settings.origin}/api/v1/edge/revisions`, {
        headers: { Authorization: `Bearer ${this.settings.edgeKey}`, Accept: "text/event-stream" },
      });
      if (response.status !== 200 || response.body === null) {
        await response.body?.cancel();
        throw new Error(`status ${response.status}`);
      }
      this.pushConnected = true;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          this.onEvent(block);
        }
      }
    } catch (error) {
      console.warn(`edge revision stream closed: ${String(error)}`);
    } finally {
      this.pushConnected = false;
    }
  }

  private onEvent(block: string): void {
    let event = "message";
    let data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data += line.slice(5).trim();
    }
    if (event === "revoked") throw new Error("the edge key was revoked");
    if (event !== "revision") return;
    const revision = Number((JSON.parse(data) as { revision?: unknown }).revision);
    if (this.current !== null && revision <= this.current.snapshot.revision) {
      this.confirmedAt = Date.now();
    } else if (revision > this.announced) {
      this.announced = revision;
    }
  }
}
