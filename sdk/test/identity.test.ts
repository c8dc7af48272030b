/** Who the visitor is: the subject cookie (credentials), or the header token for other sites. */

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { createClient } from "../src/index.js";
import type { ConsentState } from "../src/index.js";
import { FakeSocket, FakeWebSocket, fakeFetch, json, settle } from "./fakes.js";

const GRANTED: ConsentState = { subject: "abc", purposes: { necessary: true, personalization: true }, gpc: false };

afterEach(() => {
  FakeSocket.reset();
  Reflect.deleteProperty(globalThis, "window");
  Reflect.deleteProperty(globalThis, "document");
});

test("consent.set records where the choice was made (a banner's Accept all)", async () => {
  // Given a page whose banner uses the SDK
  const { fetch, calls } = fakeFetch(() => json({ ...GRANTED, token: "signed" }));
  const client = createClient({ transport: { fetch } });

  // When the visitor accepts in the banner
  await client.consent.set({ personalization: true }, { source: "banner", control: "accept-all" });

  // Then the API is told so, not just "api"
  assert.deepEqual(calls[0]?.body, {
    purposes: { personalization: true },
    source: "banner",
    control: "accept-all",
  });
});

test("cookie identity sends credentials and no subject header, even to another origin", async () => {
  const { fetch, calls } = fakeFetch(() => json({ revision: 1, decisions: {}, consent: { necessary: true } }));
  const client = createClient({ baseUrl: "https://tactful.example", transport: { fetch } });

  await client.decide(["home-hero"]);

  assert.equal(calls[0]?.url, "https://tactful.example/api/v1/decide");
  assert.equal(calls[0]?.init.credentials, "include");
  assert.equal(new Headers(calls[0]?.init.headers).get("X-Tactful-Subject"), null);
});

test("header identity: no cookie, the token from the first choice on every later request", async () => {
  // Given a storefront on another site, with a visitor who has not chosen yet
  const { fetch, calls } = fakeFetch((call) =>
    call.url.endsWith("/consent")
      ? json({ ...GRANTED, token: "signed-token" })
      : json({ revision: 1, decisions: {}, consent: GRANTED.purposes }),
  );
  const tokens: string[] = [];
  const client = createClient({
    baseUrl: "https://tactful.example",
    identity: "header",
    onSubjectToken: (token) => tokens.push(token),
    transport: { fetch },
  });

  // When they accept, then the page asks for decisions
  await client.consent.set({ personalization: true });
  await client.decide();

  // Then cookies never travel; the token came back, went to the page, and identifies them
  assert.deepEqual(
    calls.map((c) => c.init.credentials),
    ["omit", "omit"],
  );
  assert.equal(new Headers(calls[0]?.init.headers).get("X-Tactful-Subject"), null);
  assert.equal(new Headers(calls[1]?.init.headers).get("X-Tactful-Subject"), "signed-token");
  assert.deepEqual(tokens, ["signed-token"]);
});

test("header identity: the socket subscribes with the token, and a new one after the first choice", async () => {
  // Given a returning visitor whose token the page's server rendered
  const { fetch } = fakeFetch(() => json({ ...GRANTED, subject: "def", token: "second-token" }));
  const client = createClient({
    baseUrl: "https://tactful.example",
    identity: "header",
    bootstrap: { subjectToken: "first-token", consent: GRANTED },
    transport: { fetch, WebSocket: FakeWebSocket },
  });
  client.subscribe(["home-hero"], {}, () => undefined);
  FakeSocket.last.open();
  assert.equal(FakeSocket.last.url, "wss://tactful.example/ws/v1/decisions");
  assert.equal(FakeSocket.last.sent[0]?.["token"], "first-token");

  // When a consent answer names another subject (and its token)
  await client.consent.set({ personalization: true });
  await settle();

  // Then a new socket subscribes as that subject
  FakeSocket.last.open();
  assert.equal(FakeSocket.last.sent[0]?.["token"], "second-token");
  client.close();
});

test("header identity: events on page hide go by keepalive fetch with the token, not sendBeacon", () => {
  // Given a page with queued events of a consented visitor identified by header
  const page = new EventTarget();
  const doc = Object.assign(new EventTarget(), { visibilityState: "visible" });
  Object.assign(globalThis, { window: page, document: doc });
  const { fetch, calls } = fakeFetch(() => json({}, 202));
  const beacons: string[] = [];
  const client = createClient({
    identity: "header",
    bootstrap: { consent: GRANTED, subjectToken: "signed-token" },
    transport: { fetch, sendBeacon: (url) => beacons.push(url) > 0 },
  });
  client.track({ type: "product_view" });

  // When the page goes away
  page.dispatchEvent(new Event("pagehide"));

  // Then sendBeacon (which cannot carry the header) is not used
  assert.deepEqual(beacons, []);
  assert.equal(calls[0]?.init.keepalive, true);
  assert.equal(new Headers(calls[0]?.init.headers).get("X-Tactful-Subject"), "signed-token");
  client.close();
});
