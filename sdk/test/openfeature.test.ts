/** The OpenFeature web provider, driven through OpenFeature's own web SDK. */

import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";

import { OpenFeature, ProviderEvents } from "@openfeature/web-sdk";

import { createClient } from "../src/index.js";
import type { Decision } from "../src/index.js";
import { TactfulWebProvider, tactfulContext } from "../src/openfeature.js";
import { FakeSocket, FakeWebSocket, fakeFetch, json, settle } from "./fakes.js";

const SHIPPING_OFF: Decision = {
  value: false,
  variant: "default",
  reason: "CONSENT_REQUIRED",
  personalized: false,
  explanation: { rule: null, skipped: [{ rule: 1, segment: "shoe-intent", missing_purposes: ["personalization"] }] },
};
const HERO_MOBILE: Decision = {
  value: { headline: "Shop on the go" },
  variant: "mobile",
  reason: "TARGETING_MATCH",
  personalized: true,
  explanation: { rule: 3, segment: "mobile-visitors" },
};
const SHIPPING_ON: Decision = { ...SHIPPING_OFF, value: true, variant: "on", reason: "TARGETING_MATCH" };

function message(seq: number, decisions: Record<string, Decision>) {
  return { type: "decisions", revision: 7, seq, decisions, changed: Object.keys(decisions), etag: `e${seq}` };
}

async function providerReady(fetchAnswer: unknown = {}) {
  const { fetch, calls } = fakeFetch(() => json(fetchAnswer));
  const client = createClient({ baseUrl: "https://tactful.example", transport: { fetch, WebSocket: FakeWebSocket } });
  const ready = OpenFeature.setProviderAndWait(new TactfulWebProvider(client));
  await settle();
  FakeSocket.last.open();
  FakeSocket.last.receive(message(1, { "free-shipping-banner": SHIPPING_OFF, "home-hero": HERO_MOBILE }));
  await ready;
  return { client, calls, features: OpenFeature.getClient() };
}

beforeEach(() => FakeSocket.reset());

afterEach(async () => {
  await OpenFeature.clearProviders();
  await OpenFeature.setContext({});
});

test("flags resolve from Tactful's live decisions, with Tactful's reason surfaced", async () => {
  const { features } = await providerReady();

  // Every placement was subscribed to
  assert.equal("placements" in (FakeSocket.last.sent[0] ?? {}), false);
  assert.deepEqual(features.getObjectValue("home-hero", {}), { headline: "Shop on the go" });
  const hero = features.getObjectDetails("home-hero", {});
  assert.equal(hero.reason, "TARGETING_MATCH");
  assert.equal(hero.variant, "mobile");
  assert.deepEqual(hero.flagMetadata, {
    tactfulReason: "TARGETING_MATCH",
    personalized: true,
    consentRequired: false,
    segment: "mobile-visitors",
  });

  // And a default served for want of consent says so
  const shipping = features.getBooleanDetails("free-shipping-banner", true);
  assert.equal(shipping.value, false);
  assert.equal(shipping.reason, "CONSENT_REQUIRED");
  assert.equal(shipping.flagMetadata["consentRequired"], true);
});

test("a push from Tactful emits ConfigurationChanged with the flags that changed", async () => {
  const { features } = await providerReady();
  const changes: (string[] | undefined)[] = [];
  features.addHandler(ProviderEvents.ConfigurationChanged, (details) => changes.push(details?.flagsChanged));

  // When the visitor's consent lets the shipping rule match, and the server pushes
  FakeSocket.last.receive(message(2, { "free-shipping-banner": SHIPPING_ON, "home-hero": HERO_MOBILE }));
  await settle();

  // Then the page is told which flag changed, and reads the new value
  assert.deepEqual(changes, [["free-shipping-banner"]]);
  assert.equal(features.getBooleanValue("free-shipping-banner", false), true);
});

test("unknown flags and wrong types are errors mapped to OpenFeature's codes", async () => {
  const { features } = await providerReady();

  const missing = features.getBooleanDetails("no-such-flag", true);
  assert.deepEqual([missing.value, missing.errorCode, missing.reason], [true, "FLAG_NOT_FOUND", "ERROR"]);

  const wrongType = features.getStringDetails("free-shipping-banner", "x");
  assert.deepEqual([wrongType.value, wrongType.errorCode], ["x", "TYPE_MISMATCH"]);
});

test("a context change asks Tactful again with the new context, without the targeting key", async () => {
  const { features, calls } = await providerReady({
    revision: 7,
    decisions: { "free-shipping-banner": SHIPPING_ON },
    consent: { necessary: true },
  });

  // When the page says the visitor arrived from a campaign
  await OpenFeature.setContext({ targetingKey: "visitor-42", utm_campaign: "spring-sale" });

  // Then Tactful decided on that context, over HTTP and on the socket, and the value follows
  assert.deepEqual(calls[0]?.body, { context: { utm_campaign: "spring-sale" } });
  assert.deepEqual(FakeSocket.last.sent.at(-1), { type: "context", context: { utm_campaign: "spring-sale" } });
  assert.equal(features.getBooleanValue("free-shipping-banner", false), true);
});

test("when Tactful goes away, last known values are served as STALE and the page is told", async () => {
  const { features } = await providerReady();
  const stale: string[] = [];
  features.addHandler(ProviderEvents.Stale, () => stale.push("stale"));

  FakeSocket.last.drop(1006);
  await settle();

  assert.deepEqual(stale, ["stale"]);
  const hero = features.getObjectDetails("home-hero", {});
  assert.equal(hero.reason, "STALE");
  assert.deepEqual(hero.value, { headline: "Shop on the go" });
  assert.equal(hero.flagMetadata["fallback"], "last-known");
});

test("tactfulContext keeps attributes Tactful reads and leaves the targeting key out", () => {
  assert.deepEqual(
    tactfulContext({
      targetingKey: "user-1",
      device: "mobile",
      visits: 3,
      returning: true,
      tags: ["a", "b"],
      since: new Date("2026-01-02T03:04:05Z"),
      user: { plan: "pro" },
    }),
    { device: "mobile", visits: 3, returning: true, tags: ["a", "b"], since: "2026-01-02T03:04:05.000Z" },
  );
});
