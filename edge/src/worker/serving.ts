/** What decide and OFREP share: a decision at the edge, or the origin's own answer. */

import type { Decision } from "../engine/index.js";
import { decideAtEdge } from "./deciding.js";
import { forward } from "./forward.js";
import { errorBody, jsonResponse } from "./http.js";
import type { Edge } from "./index.js";
import { decisionsCount, degraded, forwarded } from "./metrics.js";

export type Served =
  | { readonly kind: "response"; readonly response: Response }
  | { readonly kind: "unknown"; readonly keys: string[] }
  | {
      readonly kind: "decided";
      readonly revision: number;
      readonly decisions: Map<string, Decision>;
      readonly consent: Readonly<Record<string, boolean>>;
    };

function originDown(): Response {
  return jsonResponse(
    errorBody(
      "service_unavailable",
      "The origin cannot be reached just now, and this edge has no snapshot yet.",
    ),
    503,
    { "Retry-After": "5" },
  );
}

/** Decide `keys` (all when null) for this request, or pass it to the origin when only the
 * origin can answer; if the origin cannot be reached, decide here what can be (degraded). */
export async function serve(
  request: Request,
  edge: Edge,
  body: Uint8Array<ArrayBuffer>,
  context: Readonly<Record<string, unknown>>,
  keys: readonly string[] | null,
): Promise<Served> {
  const loaded = edge.holder.current;
  if (loaded === null) {
    forwarded.inc("no_snapshot");
    try {
      return { kind: "response", response: await forward(request, edge.settings, body) };
    } catch {
      return { kind: "response", response: originDown() };
    }
  }
  const consent = await edge.verifier.of(request);
  const gpc = request.headers.get("Sec-GPC") === "1";
  let outcome = decideAtEdge(loaded, consent, gpc, context, keys);
  if (outcome.kind === "forward") {
    forwarded.inc(outcome.why);
    try {
      return { kind: "response", response: await forward(request, edge.settings, body) };
    } catch {
      degraded.inc(outcome.why);
      outcome = decideAtEdge(loaded, consent, gpc, context, keys, true);
    }
  }
  if (outcome.kind === "decided") {
    decisionsCount(outcome.decisions.values());
    if (consent.kind === "subject") {
      edge.exposures.add(consent.claims, outcome.revision, outcome.decisions.values());
    }
  }
  if (outcome.kind === "forward") throw new Error("a degraded decision is never forwarded");
  return outcome;
}
