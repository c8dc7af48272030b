/** JSON over fetch with a deadline: every failure becomes a `TactfulError`, never an exception. */

import type { TactfulError } from "./types.js";

export type HttpOutcome<T> =
  { readonly ok: true; readonly body: T } | { readonly ok: false; readonly error: TactfulError };

export interface HttpRequest {
  readonly method: "GET" | "POST" | "PUT";
  readonly url: string;
  readonly body?: unknown;
  readonly timeoutMs: number;
  /** Whether cookies go along: `include` for the subject cookie, `omit` with the header token. */
  readonly credentials: RequestCredentials;
  /** Extra headers (the subject token). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Send a JSON request; resolve to its parsed body, or to why it failed (timeout, network, status). */
export async function requestJson<T>(fetchFn: typeof fetch, request: HttpRequest): Promise<HttpOutcome<T>> {
  const controller = typeof AbortController === "function" ? new AbortController() : null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<HttpOutcome<T>>((resolve) => {
    timer = setTimeout(() => {
      controller?.abort();
      resolve({ ok: false, error: { code: "timeout", message: `No answer within ${request.timeoutMs} ms.` } });
    }, request.timeoutMs);
  });
  const init: RequestInit = {
    method: request.method,
    credentials: request.credentials,
    headers: {
      Accept: "application/json",
      ...(request.body === undefined ? {} : { "Content-Type": "application/json" }),
      ...request.headers,
    },
    ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
    ...(controller ? { signal: controller.signal } : {}),
  };
  const attempt = (async (): Promise<HttpOutcome<T>> => {
    let response: Response;
    try {
      response = await fetchFn(request.url, init);
    } catch (error) {
      return { ok: false, error: { code: "network", message: describe(error) } };
    }
    let body: unknown = null;
    try {
      const text = await response.text();
      body = text ? JSON.parse(text) : null;
    } catch (error) {
      if (response.ok) {
        return {
          ok: false,
          error: { code: "protocol", message: `Unreadable answer: ${describe(error)}`, status: response.status },
        };
      }
    }
    if (!response.ok) {
      return {
        ok: false,
        error: { code: "http", message: errorMessage(body, response.status), status: response.status },
      };
    }
    return { ok: true, body: body as T };
  })();
  try {
    return await Promise.race([attempt, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function errorMessage(body: unknown, status: number): string {
  if (isRecord(body) && isRecord(body["error"]) && typeof body["error"]["message"] === "string") {
    return body["error"]["message"];
  }
  return `HTTP ${status}`;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
