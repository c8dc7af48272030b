/** `POST /api/v1/decide` at the edge: the origin's request checks, errors and JSON. */

import { decisionBody } from "../engine/index.js";
import { BodyError, errorBody, jsonResponse, readJson } from "./http.js";
import type { Edge } from "./index.js";
import { serve } from "./serving.js";
import { decideRequest } from "./validation.js";

export async function decide(request: Request, edge: Edge): Promise<Response> {
  const read = await readJson(request, edge.settings.maxBodyBytes);
  if (read instanceof BodyError)
    return jsonResponse(errorBody(read.code, read.message), read.status);
  const valid = decideRequest(read.value);
  if (!valid.ok)
    return jsonResponse(errorBody("invalid", "The request is not valid.", valid.details), 400);
  const served = await serve(request, edge, read.bytes, valid.context, valid.placements);
  if (served.kind === "response") return served.response;
  if (served.kind === "unknown") {
    return jsonResponse(
      errorBody("unknown_placement", `Unknown placement: ${served.keys.join(", ")}.`, {
        placements: served.keys,
      }),
      400,
    );
  }
  const decisions: Record<string, unknown> = {};
  for (const [key, decision] of served.decisions) decisions[key] = decisionBody(decision);
  return jsonResponse({ revision: served.revision, decisions, consent: served.consent });
}
