/** decide(): live answers, the 300 ms deadline and the fallback ladder; it never rejects. */

import assert from "node:assert/strict";
import { test } from "node:test";

import { createClient } from "../src/index.js";
import type { ClientState, TactfulError } from "../src/index.js";
import { decision, fakeFetch, json, settle } from "./fakes.js";

const HERO_DEFAULT = { headline: "Gear for every day" };
const HERO_SHOES = { headline: "Find your next pair" };

function answer(hero: unknown, personalized = false) {
  return json({
    revision: 7,
    decisions: { "home-hero": decision(hero as never, personalized ? "shoes" : "default", personalized) },
    consent: { necessary: true, personalization: personalized },
  });
}

test("decide posts placements and context and serves the live answer", async () => {
  // Given a server that answers
  const { fetch, calls } = fakeFetch(() => answer(HERO_SHOES, true));
  const client = createClient({ baseUrl: "https://shop.example/", context: { locale: "en" }, transport: { fetch } });

  // When the page asks for the hero
  const result = await client.decide(["home-hero"], { page: "home" });

  // Then the request carries both contexts and the answer is live
  assert.equal(calls[0]?.url, "https://shop.example/api/v1/decide");
  assert.deepEqual(calls[0]?.body, { context: { locale: "en", page: "home" }, placements: ["home-hero"] });
  assert.equal(result.state, "live");
  assert.equal(result.revision, 7);
  assert.deepEqual(result.decisions["home-hero"]?.value, HERO_SHOES);
  assert.equal(client.state, "live");
});

test("decide past the 300 ms deadline falls back to the bootstrapped defaults", async (t) => {
  // Given a server that never answers, and a page bootstrapped with defaults only
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const errors: TactfulError[] = [];
  const { fetch } = fakeFetch(() => "hang");
  const client = createClient({
    bootstrap: { defaults: { "home-hero": HERO_DEFAULT } },
    transport: { fetch },
    onError: (e) => errors.push(e),
  });

  // When 299 ms pass the decision is still pending; at 300 ms it resolves
  let settled = false;
  const pending = client.decide(["home-hero"]).then((r) => {
    settled = true;
    return r;
  });
  await settle();
  t.mock.timers.tick(299);
  await settle();
  assert.equal(settled, false);
  t.mock.timers.tick(1);
  const result = await pending;

  // Then the default is served with reason ERROR, the state says so, and the timeout is reported
  assert.equal(result.state, "default");
  assert.deepEqual(result.decisions["home-hero"]?.value, HERO_DEFAULT);
  assert.equal(result.decisions["home-hero"]?.reason, "ERROR");
  assert.equal(result.decisions["home-hero"]?.explanation.fallback, "bootstrap");
  assert.equal(errors[0]?.code, "timeout");
});

test("decide with a custom timeout waits that long before falling back", async (t) => {
  // Given a 50 ms deadline and a server that never answers
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const { fetch } = fakeFetch(() => "hang");
  const client = createClient({
    timeoutMs: 50,
    bootstrap: { defaults: { "home-hero": HERO_DEFAULT } },
    transport: { fetch },
  });

  // When 50 ms pass
  const pending = client.decide(["home-hero"]);
  await settle();
  t.mock.timers.tick(50);

  // Then the fallback is served
  assert.equal((await pending).state, "default");
});

test("decide after a live answer falls back to the last known decision, degraded", async (t) => {
  // Given a first live answer, then a server that stopped answering
  t.mock.timers.enable({ apis: ["setTimeout"] });
  let up = true;
  const { fetch } = fakeFetch(() => (up ? answer(HERO_SHOES, true) : "hang"));
  const states: ClientState[] = [];
  const client = createClient({
    bootstrap: { defaults: { "home-hero": HERO_DEFAULT } },
    transport: { fetch },
    onStateChange: (s) => states.push(s),
  });
  await client.decide(["home-hero"]);
  up = false;

  // When the next decision times out
  const pending = client.decide(["home-hero"]);
  await settle();
  t.mock.timers.tick(300);
  const result = await pending;

  // Then the last known (personalized) decision is served, marked as such, and state is degraded
  assert.deepEqual(result.decisions["home-hero"]?.value, HERO_SHOES);
  assert.equal(result.decisions["home-hero"]?.explanation.fallback, "last-known");
  assert.equal(result.state, "degraded");
  assert.deepEqual(states, ["live", "degraded"]);
});

test("decide on a network error serves the server-rendered decisions, degraded", async () => {
  // Given a page rendered with the server's decisions, and a network failure
  const { fetch } = fakeFetch(() => new TypeError("Failed to fetch"));
  const client = createClient({
    bootstrap: { decisions: { "home-hero": decision(HERO_DEFAULT) }, revision: 3 },
    transport: { fetch },
  });

  // When the page asks
  const result = await client.decide(["home-hero"]);

  // Then what the page was rendered with is served
  assert.equal(result.state, "degraded");
  assert.equal(result.revision, 3);
  assert.deepEqual(result.decisions["home-hero"]?.value, HERO_DEFAULT);
  assert.equal(result.error?.code, "network");
});

test("decide on a server error or a malformed answer falls back instead of throwing", async () => {
  // Given a server answering 500, then one answering garbage
  const answers = [json({ error: { code: "boom", message: "Boom." } }, 500), new Response("<html>", { status: 200 })];
  const { fetch } = fakeFetch(() => answers.shift() ?? json({}));
  const client = createClient({ bootstrap: { defaults: { "home-hero": HERO_DEFAULT } }, transport: { fetch } });

  // When the page asks twice
  const first = await client.decide(["home-hero"]);
  const second = await client.decide(["home-hero"]);

  // Then both resolve to the default, with the reason reported
  assert.equal(first.error?.code, "http");
  assert.equal(first.error?.status, 500);
  assert.equal(first.error?.message, "Boom.");
  assert.equal(second.error?.code, "protocol");
  assert.deepEqual(second.decisions["home-hero"]?.value, HERO_DEFAULT);
});

test("decide for an unknown placement with nothing to fall back on resolves to no decision", async () => {
  // Given no server and no bootstrap
  const { fetch } = fakeFetch(() => new TypeError("offline"));
  const client = createClient({ transport: { fetch } });

  // When the page asks for a placement nobody knows
  const result = await client.decide(["nowhere"]);

  // Then it gets an empty answer in the default state, not an exception
  assert.deepEqual(result.decisions, {});
  assert.equal(result.state, "default");
});

test("decide survives listeners and error handlers that throw", async () => {
  // Given callbacks that throw
  const { fetch } = fakeFetch(() => new TypeError("offline"));
  const client = createClient({
    bootstrap: { decisions: { "home-hero": decision(HERO_DEFAULT) } },
    transport: { fetch },
    onStateChange: () => {
      throw new Error("page bug");
    },
    onError: () => {
      throw new Error("another page bug");
    },
  });
  client.onStateChange(() => {
    throw new Error("yet another");
  });

  // When a decision fails and the state changes
  const result = await client.decide(["home-hero"]);

  // Then the decision still resolves, and the state did change
  assert.deepEqual(result.decisions["home-hero"]?.value, HERO_DEFAULT);
  assert.equal(client.state, "degraded");
});

test("decide drops malformed decisions at the boundary instead of passing them to the page", async () => {
  // Given a server whose answer has one good and two malformed decisions
  const { fetch } = fakeFetch(() =>
    json({
      revision: 2,
      decisions: {
        "home-hero": decision(HERO_SHOES, "shoes", true),
        broken: "oops",
        odd: { value: 1, reason: "MAGIC" },
      },
    }),
  );
  const client = createClient({ transport: { fetch } });

  // When the page asks
  const result = await client.decide();

  // Then only the well-formed decision arrives
  assert.deepEqual(Object.keys(result.decisions), ["home-hero"]);
  assert.equal(result.state, "live");
});
