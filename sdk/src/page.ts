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

/**
 * Hand a JSON body to the browser to POST even as the page goes away: `sendBeacon`, else a
 * `keepalive` fetch. False when neither took it. Throws nothing it could catch.
 */
export function beaconSend(url: string, body: unknown, transport: Transport, fetchFn: typeof fetch | null): boolean {
  const payload = JSON.stringify(body);
  const sendBeacon =
    transport.sendBeacon ??
    (typeof navigator !== "undefined" && typeof navigator.sendBeacon === "function"
      ? navigator.sendBeacon.bind(navigator)
      : null);
  if (sendBeacon) {
    const data = typeof Blob === "function" ? new Blob([payload], { type: "application/json" }) : payload;
    return sendBeacon(url, data);
  }
  if (fetchFn) {
    void fetchFn(url, {
      method: "POST",
      body: payload,
      keepalive: true,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
    }).catch(() => undefined);
    return true;
  }
  return false;
}
