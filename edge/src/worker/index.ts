/** Tactful's edge worker (workerd / Cloudflare Workers): the origin's decision contract —
 * `POST /api/v1/decide` and the OFREP endpoints, same JSON, errors and reasons — answered from
 * the edge snapshot and a signed consent token, with what it cannot decide passed to the origin.
 * Every other request goes to the origin unchanged, so the worker can front the whole site.
 * Its own endpoints: `/edge/metrics` (Prometheus text), `/edge/healthz`, `/edge/readyz`. */

import { ConsentVerifier } from "./consent.js";
import { decide } from "./decide.js";
import { type Context, type Env, type Settings, settingsFrom } from "./env.js";
import { ExposureBuffer } from "./exposures.js";
import { forward } from "./forward.js";
import { jsonResponse } from "./http.js";
import { forwarded, metricsText, responses } from "./metrics.js";
import { ofrepBulk, ofrepFlag } from "./ofrep.js";
import { SnapshotHolder } from "./snapshot.js";

/** What one worker keeps between requests. */
export interface Edge {
  readonly settings: Settings;
  readonly holder: SnapshotHolder;
  readonly verifier: ConsentVerifier;
  readonly exposures: ExposureBuffer;
}

let edge: Edge | null = null;

function edgeFor(env: Env): Edge {
  if (edge === null) {
    const settings = settingsFrom(env);
    edge = {
      settings,
      holder: new SnapshotHolder(settings),
      verifier: new ConsentVerifier(settings),
      exposures: new ExposureBuffer(settings),
    };
  }
  return edge;
}

const FLAG_PATH = "/ofrep/v1/evaluate/flags/";

async function route(request: Request, edge: Edge, url: URL): Promise<Response | null> {
  const path = url.pathname;
  if (request.method === "POST") {
    if (path === "/api/v1/decide") return decide(request, edge);
    if (path === "/ofrep/v1/evaluate/flags") return ofrepBulk(request, edge);
    if (path.startsWith(FLAG_PATH) && !path.slice(FLAG_PATH.length).includes("/")) {
      let key: string;
      try {
        key = decodeURIComponent(path.slice(FLAG_PATH.length));
      } catch {
        return null;
      }
      if (key) return ofrepFlag(request, edge, key);
    }
  } else if (request.method === "GET") {
    if (path === "/edge/healthz") return jsonResponse({ status: "ok" });
    if (path === "/edge/readyz") {
      const current = edge.holder.current;
      return jsonResponse(
        { ready: current !== null, revision: current?.snapshot.revision ?? 0 },
        current !== null ? 200 : 503,
      );
    }
    if (path === "/edge/metrics") return metrics(request, edge);
  }
  return null;
}

function metrics(request: Request, edge: Edge): Response {
  const token = edge.settings.metricsToken;
  if (token !== null && request.headers.get("Authorization") !== `Bearer ${token}`) {
    return new Response("Unauthorized\n", {
      status: 401,
      headers: { "WWW-Authenticate": "Bearer" },
    });
  }
  const { holder } = edge;
  const text = metricsText({
    revision: holder.current?.snapshot.revision ?? 0,
    ageSeconds: holder.confirmedAt ? Math.max(0, (Date.now() - holder.confirmedAt) / 1000) : null,
    pushConnected: holder.pushConnected,
  });
  return new Response(text, {
    headers: { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" },
  });
}

export default {
  async fetch(request: Request, env: Env, ctx: Context): Promise<Response> {
    const edge = edgeFor(env);
    edge.holder.tend(ctx);
    const url = new URL(request.url);
    const answer = await route(request, edge, url);
    if (answer !== null) {
      edge.exposures.tend(ctx);
      responses.inc(
        url.pathname.startsWith(FLAG_PATH) ? `${FLAG_PATH}{key}` : url.pathname,
        String(answer.status),
      );
      return answer;
    }
    forwarded.inc("route");
    if (request.headers.get("Upgrade")?.toLowerCase() === "websocket") {
      // A socket is passed through as it is (the runtime joins the two ends).
      return fetch(new Request(`${edge.settings.origin}${url.pathname}${url.search}`, request));
    }
    try {
      return await forward(request, edge.settings, null);
    } catch {
      return jsonResponse(
        {
          error: {
            code: "service_unavailable",
            message: "The origin cannot be reached just now; try again shortly.",
          },
        },
        503,
        { "Retry-After": "5" },
      );
    }
  },
};
