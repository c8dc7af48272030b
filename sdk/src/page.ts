/** The browser page around the client: its lifecycle events, and beacons that outlive it. */

import type { Transport } from "./types.js";

export interface PageHooks {
  /** The page is hidden, maybe for good (tab switched, closed, navigated away). */
  readonly onHide: () => void;
  /** The network came back. */
  readonly onOnline: () => void;
}

/** Listen to the page's lifecycle; returns what stops listening. Outside a browser, nothing. */
export function pageAttach(hooks: PageHooks): () => void {
  if (
    typeof window === "undefined" ||
    typeof document === "undefined" ||
    typeof window.addEventListener !== "function"
  ) {
    return () => undefined;
  }
  const onVisibility = () => {
    if (document.visibilityState === "hidden") {
      hooks.onHide();
    }
  };
  window.addEventListener("pagehide", hooks.onHide);
  window.addEventListener("online", hooks.onOnline);
  document.addEventListener("visibilitychange", onVisibility);
  return () => {
    window.removeEventListener("pagehide", hooks.onHide);
    window.removeEventListener("online", hooks.onOnline);
    document.removeEventListener("visibilitychange", onVisibility);
  };
}

/** How a beacon identifies the visitor. */
export interface BeaconIdentity {
  readonly credentials: RequestCredentials;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Hand a JSON body to the browser to POST even as the page goes away: `sendBeacon`, else a
 * `keepalive` fetch. False when neither took it. Throws nothing it could catch.
 *
 * `sendBeacon` sends no header of the page's own and, to another origin, no JSON body without
 * a preflight it cannot make: with a subject header, or across origins, a `keepalive` fetch goes.
 */
export function beaconSend(
  url: string,
  body: unknown,
  transport: Transport,
  fetchFn: typeof fetch | null,
  identity: BeaconIdentity,
): boolean {
  const payload = JSON.stringify(body);
  const plain = Object.keys(identity.headers).length === 0 && sameOrigin(url);
  const sendBeacon = !plain
    ? null
    : (transport.sendBeacon ??
      (typeof navigator !== "undefined" && typeof navigator.sendBeacon === "function"
        ? navigator.sendBeacon.bind(navigator)
        : null));
  if (sendBeacon) {
    const data = typeof Blob === "function" ? new Blob([payload], { type: "application/json" }) : payload;
    return sendBeacon(url, data);
  }
  if (fetchFn) {
    void fetchFn(url, {
      method: "POST",
      body: payload,
      keepalive: true,
      credentials: identity.credentials,
      headers: { "Content-Type": "application/json", ...identity.headers },
    }).catch(() => undefined);
    return true;
  }
  return false;
}

function sameOrigin(url: string): boolean {
  if (typeof location === "undefined") {
    return true;
  }
  try {
    return new URL(url, location.href).origin === location.origin;
  } catch {
    return false;
  }
}
