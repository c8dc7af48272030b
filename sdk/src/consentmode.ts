/** Google Consent Mode v2: the visitor's purposes as consent types, sent to gtag or dataLayer. */

import type { ConsentModeOptions, ConsentModeState, ConsentModeType } from "./types.js";

/**
 * Which Consent Mode types each purpose grants, as Tactful's purpose registry is seeded (admin →
 * Purposes → "Consent mode types"); a site whose registry differs passes its own `mapping`.
 */
export const DEFAULT_CONSENT_MODE_MAPPING: Readonly<Record<string, readonly ConsentModeType[]>> = {
  necessary: ["functionality_storage", "security_storage"],
  personalization: ["personalization_storage"],
  measurement: ["analytics_storage"],
  advertising: ["ad_storage", "ad_user_data", "ad_personalization"],
};

/**
 * Each consent type the mapping names: `granted` when every purpose mapped to it is granted,
 * else `denied` (a purpose missing from `purposes` is not granted). Types no purpose maps to are
 * left out, so they keep whatever the site's `gtag('consent', 'default', …)` said.
 */
export function consentModeState(
  purposes: Readonly<Record<string, boolean>>,
  mapping: Readonly<Record<string, readonly ConsentModeType[]>> = DEFAULT_CONSENT_MODE_MAPPING,
): ConsentModeState {
  const state: Partial<Record<ConsentModeType, "granted" | "denied">> = {};
  for (const [purpose, types] of Object.entries(mapping)) {
    for (const type of types) {
      state[type] = purposes[purpose] === true && state[type] !== "denied" ? "granted" : "denied";
    }
  }
  return state;
}

type Gtag = (...args: unknown[]) => void;

/** Where updates go: the page's `gtag`, else a gtag-shaped push onto its `dataLayer`. */
export function consentModeSink(options: ConsentModeOptions): Gtag | null {
  if (options.gtag) {
    return options.gtag;
  }
  const page = typeof window === "undefined" ? undefined : (window as unknown as Record<string, unknown>);
  if (typeof page?.["gtag"] === "function") {
    return page["gtag"] as Gtag;
  }
  const dataLayer = options.dataLayer ?? (page ? ((page["dataLayer"] ??= []) as unknown[]) : undefined);
  if (!Array.isArray(dataLayer)) {
    return null;
  }
  // Google's tags read commands as `arguments` objects, as their own gtag() pushes them.
  return function gtag(..._args: unknown[]) {
    dataLayer.push(arguments);
  };
}
