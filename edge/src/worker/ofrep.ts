/** The OpenFeature Remote Evaluation Protocol at the edge: one flag, or all of them (with an
 * ETag), in OFREP's own error shape, as `personalization/apis/ofrep.py` answers. */

import type { Decision } from "../engine/index.js";
import { BodyError, jsonResponse, readJson } from "./http.js";
import type { Edge } from "./index.js";
import { pythonRepr } from "./python.js";
import { type Served, serve } from "./serving.js";
import { ofrepRequest } from "./validation.js";

// OpenFeature knows these reasons; Tactful's own (CONSENT_REQUIRED) travels in metadata.
const OFREP_REASONS: Readonly<Record<string, string>> = {
  TARGETING_MATCH: "TARGETING_MATCH",
  SPLIT: "SPLIT",
  DEFAULT: "DEFAULT",
  DISABLED: "DISABLED",
  ERROR: "ERROR",
  CONSENT_REQUIRED: "DEFAULT",
};

function failure(code: string, details: string, status: number, key: string | null): Response {
  const body: Record<string, string> = { errorCode: code, errorDetails: details };
  if (key !== null) body.key = key;
  return jsonResponse(body, status);
}

function success(decision: Decision, revision: number): Record<string, unknown> {
  const metadata: Record<string, unknown> = {
    reason: decision.reason,
    personalized: decision.personalized,
    revision,
  };
  if (decision.explanation.segment) metadata.segment = decision.explanation.segment;
  if (decision.explanation.experiment) metadata.experiment = decision.explanation.experiment;
  return {
    key: decision.key,
    value: decision.value,
    reason: OFREP_REASONS[decision.reason],
    variant: decision.variant,
    metadata,
  };
}

/** Read, check and serve an OFREP request; a Response (error or the origin's) or decisions. */
async function evaluate(
  request: Request,
  edge: Edge,
  keys: string[] | null,
  key: string | null,
): Promise<Response | Served> {
  const read = await readJson(request, edge.settings.maxBodyBytes);
  if (read instanceof BodyError) {
    return failure("PARSE_ERROR", read.message, read.status === 413 ? 413 : 400, key);
  }
  const valid = ofrepRequest(read.value);
  if (!valid.ok) return failure(valid.code, valid.details, 400, key);
  return serve(request, edge, read.bytes, valid.context, keys);
}

export async function ofrepFlag(request: Request, edge: Edge, key: string): Promise<Response> {
  const served = await evaluate(request, edge, [key], key);
  if (served instanceof Response) return served;
  if (served.kind === "response") return served.response;
  if (served.kind === "unknown")
    return failure("FLAG_NOT_FOUND", `Flag ${pythonRepr(key)} was not found.`, 404, key);
  return jsonResponse(success(served.decisions.get(key) as Decision, served.revision));
}

function etags(header: string): Set<string> {
  return new Set(
    header
      .split(",")
      .map((tag) => tag.trim())
      .filter((tag) => tag)
      .map((tag) => (tag.startsWith("W/") ? tag.slice(2) : tag)),
  );
}

export async function ofrepBulk(request: Request, edge: Edge): Promise<Response> {
  const served = await evaluate(request, edge, null, null);
  if (served instanceof Response) return served;
  if (served.kind === "response") return served.response;
  if (served.kind === "unknown") throw new Error("every placement of the snapshot is known");
  const flags = [...served.decisions.values()].map((decision) =>
    success(decision, served.revision),
  );
  const text = JSON.stringify({ flags });
  // The ETag of this tier's bytes (the origin hashes its own; a client of both tiers only
  // misses a 304 when it switches).
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
  const etag = `"${[...digest.slice(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("")}"`;
  if (etags(request.headers.get("If-None-Match") ?? "").has(etag)) {
    return new Response(null, { status: 304, headers: { ETag: etag } });
  }
  return new Response(text, { headers: { "Content-Type": "application/json", ETag: etag } });
}
