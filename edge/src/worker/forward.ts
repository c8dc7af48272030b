/** Passing a request to the origin, unchanged, and its answer back, unchanged. */

import type { Settings } from "./env.js";

// Hop-by-hop headers, and the ones the runtime sets for the new connection.
const NOT_FORWARDED = new Set([
  "host",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "content-length",
]);

/** The origin's answer to `request` (whose body, when already read, is `body`); throws when the
 * origin cannot be reached in time. */
export async function forward(
  request: Request,
  settings: Settings,
  body: Uint8Array<ArrayBuffer> | null,
): Promise<Response> {
  const url = new URL(request.url);
  const headers = new Headers();
  request.headers.forEach((value, name) => {
    if (!NOT_FORWARDED.has(name.toLowerCase())) headers.set(name, value);
  });
  headers.set("X-Tactful-Edge", "forwarded");
  const hasBody = request.method !== "GET" && request.method !== "HEAD";
  const init: RequestInit = {
    method: request.method,
    headers,
    redirect: "manual",
    signal: AbortSignal.timeout(settings.forwardTimeoutMs),
  };
  if (hasBody) init.body = body ?? request.body;
  const response = await fetch(`${settings.origin}${url.pathname}${url.search}`, init);
  return new Response(response.body, response);
}
