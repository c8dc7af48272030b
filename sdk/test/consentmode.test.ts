/** Google Consent Mode v2: purposes mapped to consent types, and updates sent when asked for. */

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { consentModeState, createClient } from "../src/index.js";
import type { ConsentState } from "../src/index.js";
import { fakeFetch, json } from "./fakes.js";

const ONLY_MEASUREMENT: ConsentState = {
  subject: "abc",
  purposes: { necessary: true, personalization: false, measurement: true, advertising: false },
  gpc: false,
};

afterEach(() => {
  Reflect.deleteProperty(globalThis, "window");
});

test("consentModeState maps each purpose to its Consent Mode v2 types", () => {
  assert.deepEqual(consentModeState(ONLY_MEASUREMENT.purposes), {
    functionality_storage: "granted",
    security_storage: "granted",
    personalization_storage: "denied",
    analytics_storage: "granted",
    ad_storage: "denied",
    ad_user_data: "denied",
    ad_personalization: "denied",
  });
});

test("consentModeState denies a type unless every purpose mapped to it is granted", () => {
  // Given a site that also ties ad_storage to measurement
  const mapping = { advertising: ["ad_storage"], measurement: ["ad_storage", "analytics_storage"] } as const;
  // Then advertising alone does not grant it, and a purpose left out is not granted
  assert.deepEqual(consentModeState({ advertising: true, measurement: false }, mapping), {
    ad_storage: "denied",
    analytics_storage: "denied",
  });
  assert.deepEqual(consentModeState({ advertising: true }, mapping), {
    ad_storage: "denied",
    analytics_storage: "denied",
  });
  assert.deepEqual(consentModeState({ advertising: true, measurement: true }, mapping), {
    ad_storage: "granted",
    analytics_storage: "granted",
  });
});

test("with consentMode, the known consent and each change go to gtag('consent', 'update')", async () => {
  // Given a page running Google tags, and a visitor who allowed measurement only
  const calls: unknown[][] = [];
  const { fetch } = fakeFetch(() =>
    json({ ...ONLY_MEASUREMENT, purposes: { ...ONLY_MEASUREMENT.purposes, advertising: true }, token: "t" }),
  );
  const client = createClient({
    bootstrap: { consent: ONLY_MEASUREMENT },
    consentMode: { gtag: (...args) => calls.push(args) },
    transport: { fetch },
  });

  // When they allow advertising too
  await client.consent.set({ advertising: true });

  // Then Google's tags heard the first state and the change
  assert.deepEqual(
    calls.map(([command, action, state]) => [command, action, (state as Record<string, string>)["ad_user_data"]]),
    [
      ["consent", "update", "denied"],
      ["consent", "update", "granted"],
    ],
  );
  assert.equal((calls[0]?.[2] as Record<string, string>)["analytics_storage"], "granted");
});

test("with consentMode and no gtag, updates are pushed to dataLayer as gtag would", () => {
  // Given a page with a dataLayer (Google Tag Manager) and no gtag function
  const dataLayer: unknown[] = [];
  Object.assign(globalThis, { window: { dataLayer } });

  createClient({ bootstrap: { consent: ONLY_MEASUREMENT }, consentMode: true });

  // Then one arguments object, as gtag() pushes, says what the visitor allowed
  assert.equal(dataLayer.length, 1);
  const pushed = Array.from(dataLayer[0] as ArrayLike<unknown>);
  assert.equal(Object.prototype.toString.call(dataLayer[0]), "[object Arguments]");
  assert.deepEqual(pushed.slice(0, 2), ["consent", "update"]);
  assert.equal((pushed[2] as Record<string, string>)["analytics_storage"], "granted");
});

test("without consentMode, Google's tags hear nothing from Tactful", () => {
  const dataLayer: unknown[] = [];
  Object.assign(globalThis, { window: { dataLayer, gtag: () => dataLayer.push("called") } });
  createClient({ bootstrap: { consent: ONLY_MEASUREMENT } });
  assert.deepEqual(dataLayer, []);
});
