/** Test doubles: a scriptable fetch, a controllable WebSocket, and a way to let promises settle. */

import { setImmediate as nextTurn } from "node:timers/promises";

import type { Decision, Json, Reason } from "../src/types.js";

/** Let pending promise callbacks run (real macrotask: fake timers do not touch setImmediate). */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i += 1) {
    await nextTurn();
  }
}

export interface Call {
  readonly url: string;
  readonly method: string;
  readonly body: unknown;
  readonly init: RequestInit;
}

type Handler = (call: Call) => Response | Promise<Response> | "hang" | Error;

/** A fetch that records its calls and answers with `handler` ("hang" never answers). */
export function fakeFetch(handler: Handler): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fn = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const body = typeof init.body === "string" ? JSON.parse(init.body) : undefined;
    const call: Call = { url: String(input), method: init.method ?? "GET", body, init };
    calls.push(call);
    const answer = handler(call);
    if (answer === "hang") {
      return new Promise<Response>((_, reject) => {
        init.signal?.addEventListener("abort", () => reject(new Error("aborted")));
      });
    }
    if (answer instanceof Error) {
      throw answer;
    }
    return answer;
  };
  return { fetch: fn as typeof fetch, calls };
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

/** A WebSocket double: tests open it, feed it messages and close it. */
export class FakeSocket {
  static instances: FakeSocket[] = [];
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  readonly sent: Record<string, unknown>[] = [];
  closedWith: number | null = null;

  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }

  static reset(): void {
    FakeSocket.instances = [];
  }

  static get last(): FakeSocket {
    const socket = FakeSocket.instances[FakeSocket.instances.length - 1];
    if (!socket) {
      throw new Error("no socket was opened");
    }
    return socket;
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(code = 1000): void {
    this.closedWith = code;
  }

  /** The server accepts the connection. */
  open(): void {
    this.onopen?.(new Event("open"));
  }

  /** The server sends a message. */
  receive(message: Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify(message) } as MessageEvent);
  }

  /** The connection is lost (the server went away, or closed it with `code`). */
  drop(code = 1006, reason = ""): void {
    this.onclose?.({ code, reason } as CloseEvent);
  }
}

export const FakeWebSocket = FakeSocket as unknown as new (url: string) => WebSocket;

/** A decision as the server shapes it. */
export function decision(value: Json, variant = "default", personalized = false): Decision {
  const reason: Reason = personalized ? "TARGETING_MATCH" : "DEFAULT";
  return {
    value,
    variant,
    reason,
    personalized,
    explanation: personalized ? { rule: 1, segment: "shoe-intent", purposes: ["personalization"] } : { rule: null },
  };
}
