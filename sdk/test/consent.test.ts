/** consent.get() / consent.set(): the consent API, failing closed, and what a withdrawal forgets. */

import assert from "node:assert/strict";
import { test } from "node:test";

import { createClient } from "../src/index.js";
import type { ConsentState } from "../src/index.js";
import { decision, fakeFetch, json } from "./fakes.js";

const GRANTED: ConsentState = { subject: "abc", purposes: { necessary: true, personalization: true }, gpc: false };
const REFUSED: ConsentState = { subject: "abc", purposes: { necessary: true, personalization: false }, gpc: false };

test("consent.set puts the choice and tells listeners", async () => {
  // Given a fresh visitor
  const { fetch, calls } = fakeFetch(() => json({ ...GRANTED, token: "signed" }));
  const client = createClient({ transport: { fetch } });
  const seen: ConsentState[] = [];
  client.consent.onChange((consent) => seen.push(consent));

  // When they accept
  const result = await client.consent.set({ personalization: true, measurement: true });

  // Then the API got the purposes, and the client knows the new state
  assert.equal(calls[0]?.method, "PUT");
  assert.equal(calls[0]?.url, "/api/v1/consent");
  assert.deepEqual(calls[0]?.body, { purposes: { personalization: true, measurement: true } });
  assert.equal(calls[0]?.init.credentials, "include");
  assert.deepEqual(result, { ok: true, consent: GRANTED });
  assert.deepEqual(client.consent.current, GRANTED);
  assert.deepEqual(seen, [GRANTED]);
});

test("consent.get fails closed when the server cannot be reached", async () => {
  // Given no server and no known consent
  const { fetch } = fakeFetch(() => new TypeError("offline"));
  const client = createClient({ transport: { fetch } });

  // When the page reads the consent
  const result = await client.consent.get();

  // Then it resolves to "necessary only", flagged as not ok
  assert.equal(result.ok, false);
  assert.deepEqual(result.consent.purposes, { necessary: true });
  assert.equal(result.error?.code, "network");
});

test("consent.set that fails keeps the last known state and says so", async () => {
  // Given a consenting visitor and a server answering 400
  const { fetch } = fakeFetch(() => json({ error: { code: "invalid", message: "Unknown purpose." } }, 400));
  const client = createClient({ bootstrap: { consent: GRANTED }, transport: { fetch } });

  // When the page sends a bad choice
  const result = await client.consent.set({ nonsense: true });

  // Then nothing changed on the client
  assert.equal(result.ok, false);
  assert.deepEqual(result.consent, GRANTED);
  assert.equal(result.error?.message, "Unknown purpose.");
});

test("withdrawal forgets personalized decisions: a later fallback serves the default", async () => {
  // Given a visitor served a personalized hero, who then withdraws while the server is up
  let serverUp = true;
  const { fetch } = fakeFetch((call) => {
    if (!serverUp) {
      return new TypeError("offline");
    }
    if (call.url.endsWith("/consent")) {
      return json(REFUSED);
    }
    return json({
      revision: 2,
      decisions: { "home-hero": decision("shoes", "shoes", true) },
      consent: GRANTED.purposes,
    });
  });
  const client = createClient({
    bootstrap: { consent: GRANTED, defaults: { "home-hero": "generic" } },
    transport: { fetch },
  });
  await client.decide(["home-hero"]);
  await client.consent.set({ personalization: false });

  // When the server then goes away
  serverUp = false;
  const result = await client.decide(["home-hero"]);

  // Then the fallback is the default, not what the withdrawn consent had chosen
  assert.equal(result.decisions["home-hero"]?.value, "generic");
  assert.equal(result.state, "default");
});

test("decide answers keep the known consent current", async () => {
  // Given a client that believes personalization is granted
  const { fetch } = fakeFetch(() => json({ revision: 2, decisions: {}, consent: REFUSED.purposes }));
  const client = createClient({ bootstrap: { consent: GRANTED }, transport: { fetch } });

  // When a decision says otherwise (withdrawn in another tab)
  await client.decide([]);

  // Then the client knows
  assert.deepEqual(client.consent.current?.purposes, REFUSED.purposes);
  assert.equal(client.consent.current?.subject, "abc");
});
