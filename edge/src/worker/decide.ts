/** `POST /api/v1/decide` at the edge: the origin's request checks, errors and JSON. */

import { decisionBody } from "../engine/index.js";
import { BodyError, bodyBytes, errorBody, jsonResponse, parseJson } from "./http.js";
import type { Edge } from "./index.js";
import { serve } from "./serving.js";
import { decideRequest } from "./validation.js";

export async function decide(request: Request, edge: Edge): Promise<Response> {
  let body: Uint8Array<ArrayBuffer>;
  let parsed: unknown;
  try {
    body = await bodyBytes(request, edge.settings.maxBodyBytes);
    parsed = parseJson(request, body);
  } catch (error) {
    if (!(error instanceof BodyError)) throw error;
    return jsonResponse(errorBody(error.code, error.message), error.status);
  }
  const valid = decideRequest(parsed);
  if (!valid.ok) return jsonResponse(errorBody("invalid", "The request is not valid.", valid.details), 400);
  const served = await serve(request, edge, body, valid.context, valid.placements);
  if (served.kind === "response") return served.response;
  if (served.kind === "unknown") {
    return jsonResponse(
      errorBody("unknown_placement", `Unknown placement: ${served.keys.join(", ")}.`, { placements: served.keys }),
      400,
    );
  }
  const decisions: Record<string, unknown> = {};
  for (const [key, decision] of served.decisions) decisions[key] = decisionBody(decision);
  return jsonResponse({ revision: served.revision, decisions, consent: served.consent });
}
