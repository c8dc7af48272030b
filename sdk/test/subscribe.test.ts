/** subscribe(): the websocket protocol, pushes, reconnection with backoff and resume. */

import assert from "node:assert/strict";
import { afterEach, beforeEach, mock, test } from "node:test";

import { createClient } from "../src/index.js";
import type { Client, DecisionUpdate } from "../src/index.js";
import { decision, FakeSocket, FakeWebSocket, fakeFetch, json, settle } from "./fakes.js";

const HERO_DEFAULT = { headline: "Gear for every day" };
const HERO_SHOES = { headline: "Find your next pair" };

function decisionsMessage(seq: number, hero: unknown, personalized = false, changed = ["home-hero"]) {
  return {
    type: "decisions",
    revision: 4,
    seq,
    decisions: { "home-hero": decision(hero as never, personalized ? "shoes" : "default", personalized) },
    changed,
    etag: `etag-${seq}`,
  };
}

function liveClient(options: { random?: number } = {}): { client: Client; updates: DecisionUpdate[] } {
  const updates: DecisionUpdate[] = [];
  const client = keep(
    createClient({
      baseUrl: "http://shop.test",
      bootstrap: { decisions: { "home-hero": decision(HERO_DEFAULT) }, defaults: { "home-hero": HERO_DEFAULT } },
      transport: {
        WebSocket: FakeWebSocket,
        random: () => options.random ?? 0.5,
        fetch: fakeFetch(() => new TypeError("offline")).fetch,
      },
    }),
  );
  client.subscribe(["home-hero"], { page: "home" }, (update) => updates.push(update));
  return { client, updates };
}

// Every test runs on fake timers: reconnection delays and heartbeats are driven by `tick`.
const clients: Client[] = [];

function keep<T extends Client>(client: T): T {
  clients.push(client);
  return client;
}

beforeEach(() => {
  FakeSocket.reset();
  mock.timers.enable({ apis: ["setTimeout"] });
});

afterEach(() => {
  for (const client of clients.splice(0)) {
    client.close();
  }
  mock.timers.reset();
});

test("subscribe opens the socket and sends placements and context first", () => {
  // Given a client
  liveClient();

  // When the server accepts the connection
  FakeSocket.last.open();

  // Then the subscribe message is the first one, on the websocket address
  assert.equal(FakeSocket.last.url, "ws://shop.test/ws/v1/decisions");
  assert.deepEqual(FakeSocket.last.sent, [{ type: "subscribe", placements: ["home-hero"], context: { page: "home" } }]);
});

test("subscribe stays quiet when the first answer equals what the page shows, and goes live", () => {
  // Given a page rendered with the default hero
  const { client, updates } = liveClient();
  FakeSocket.last.open();

  // When the server answers with the same decision
  FakeSocket.last.receive(decisionsMessage(1, HERO_DEFAULT));

  // Then nothing is re-rendered, but the state is live (one update for the state)
  assert.equal(client.state, "live");
  assert.deepEqual(
    updates.map((u) => [u.state, u.changed]),
    [["live", []]],
  );
});

test("subscribe passes a pushed change to the page with what changed", () => {
  // Given a live subscription
  const { updates } = liveClient();
  FakeSocket.last.open();
  FakeSocket.last.receive(decisionsMessage(1, HERO_DEFAULT));

  // When the server pushes the personalized hero
  FakeSocket.last.receive(decisionsMessage(2, HERO_SHOES, true));

  // Then the page gets the new decision
  const last = updates[updates.length - 1];
  assert.deepEqual(last?.changed, ["home-hero"]);
  assert.deepEqual(last?.decisions["home-hero"]?.value, HERO_SHOES);
  assert.equal(last?.revision, 4);
});

test("subscribe reconnects after a drop with jittered backoff, and resumes by seq and etag", () => {
  // Given a live subscription that received messages up to seq 3
  const { client } = liveClient({ random: 0.5 });
  FakeSocket.last.open();
  FakeSocket.last.receive(decisionsMessage(1, HERO_DEFAULT));
  FakeSocket.last.receive({ type: "heartbeat", revision: 4, seq: 2 });
  FakeSocket.last.receive(decisionsMessage(3, HERO_SHOES, true));

  // When the connection drops
  FakeSocket.last.drop(1006);

  // Then the client is degraded, still serving the last known hero, and waits 250 ms (0.5 × 500)
  assert.equal(client.state, "degraded");
  assert.equal(FakeSocket.instances.length, 1);
  mock.timers.tick(249);
  assert.equal(FakeSocket.instances.length, 1);
  mock.timers.tick(1);
  assert.equal(FakeSocket.instances.length, 2);

  // And the new socket resumes from seq 3 with its etag; "resumed" brings it back live
  FakeSocket.last.open();
  assert.deepEqual(FakeSocket.last.sent[0], {
    type: "subscribe",
    placements: ["home-hero"],
    context: { page: "home" },
    resume: { seq: 3, etag: "etag-3" },
  });
  FakeSocket.last.receive({ type: "resumed", revision: 4, seq: 4, etag: "etag-3" });
  assert.equal(client.state, "live");
});

test("subscribe backs off exponentially while the server stays away, then resets", () => {
  // Given a subscription whose server refuses every connection
  liveClient({ random: 1 });
  const delays: number[] = [];
  for (let attempt = 0; attempt < 4; attempt += 1) {
    const before = FakeSocket.instances.length;
    FakeSocket.last.drop(1006);
    let waited = 0;
    while (FakeSocket.instances.length === before) {
      mock.timers.tick(50);
      waited += 50;
    }
    delays.push(waited);
  }

  // Then the delays double: 500, 1000, 2000, 4000 ms
  assert.deepEqual(delays, [500, 1000, 2000, 4000]);

  // When a connection finally succeeds and is lost again, the next delay starts over
  FakeSocket.last.open();
  FakeSocket.last.receive(decisionsMessage(1, HERO_DEFAULT));
  const before = FakeSocket.instances.length;
  FakeSocket.last.drop(1006);
  mock.timers.tick(500);
  assert.equal(FakeSocket.instances.length, before + 1);
});

test("subscribe reconnects when the server goes silent past its heartbeat", () => {
  // Given a live subscription
  const { client } = liveClient({ random: 0 });
  FakeSocket.last.open();
  FakeSocket.last.receive(decisionsMessage(1, HERO_DEFAULT));
  const silent = FakeSocket.last;

  // When heartbeats keep it alive for a while, then stop for 60 s
  mock.timers.tick(59_000);
  silent.receive({ type: "heartbeat", revision: 4, seq: 2 });
  mock.timers.tick(59_999);
  assert.equal(silent.closedWith, null);
  mock.timers.tick(1);

  // Then the silent socket is closed, the client is degraded and a new socket is opened
  assert.equal(silent.closedWith, 4000);
  assert.equal(client.state, "degraded");
  mock.timers.tick(0);
  assert.notEqual(FakeSocket.last, silent);
});

test("subscribe comes back slowly after a flood close and gives up on a too-big close", () => {
  // Given a subscription closed for flooding
  liveClient({ random: 1 });
  FakeSocket.last.open();
  FakeSocket.last.drop(4429, "too many messages");

  // Then it waits the sixth ceiling (16 s), not the first
  mock.timers.tick(15_999);
  assert.equal(FakeSocket.instances.length, 1);
  mock.timers.tick(1);
  assert.equal(FakeSocket.instances.length, 2);

  // When the server refuses a message as too big, it does not come back at all
  FakeSocket.last.open();
  FakeSocket.last.drop(1009);
  mock.timers.tick(120_000);
  assert.equal(FakeSocket.instances.length, 2);
});

test("subscribe sends a new context on the open socket", () => {
  // Given a live subscription
  const client = keep(createClient({ baseUrl: "http://shop.test", transport: { WebSocket: FakeWebSocket } }));
  const subscription = client.subscribe(["home-hero"], {}, () => undefined);
  FakeSocket.last.open();

  // When the page's context changes
  subscription.update({ page: "shoes" });

  // Then the server is told
  assert.deepEqual(FakeSocket.last.sent[1], { type: "context", context: { page: "shoes" } });
});

test("unsubscribe closes the socket normally and never reconnects", () => {
  // Given a live subscription
  const client = keep(createClient({ baseUrl: "http://shop.test", transport: { WebSocket: FakeWebSocket } }));
  const subscription = client.subscribe(["home-hero"], {}, () => undefined);
  FakeSocket.last.open();

  // When the page unsubscribes
  subscription.unsubscribe();
  mock.timers.tick(60_000);

  // Then the socket was closed with 1000 and no other was opened
  assert.equal(FakeSocket.last.closedWith, 1000);
  assert.equal(FakeSocket.instances.length, 1);
});

test("subscribe restarts its socket when the visitor becomes a subject (first consent choice)", async () => {
  // Given an anonymous live subscription
  const { fetch } = fakeFetch(() =>
    json({ subject: "abc", purposes: { necessary: true, personalization: true }, gpc: false, token: "t" }),
  );
  const client = keep(
    createClient({
      baseUrl: "http://shop.test",
      bootstrap: { consent: { subject: null, purposes: { necessary: true, personalization: false }, gpc: false } },
      transport: { WebSocket: FakeWebSocket, fetch },
    }),
  );
  client.subscribe(["home-hero"], {}, () => undefined);
  FakeSocket.last.open();
  FakeSocket.last.receive(decisionsMessage(1, HERO_DEFAULT));
  const anonymous = FakeSocket.last;

  // When the visitor accepts
  const result = await client.consent.set({ personalization: true });

  // Then a fresh socket (the new cookie, no resume) replaced the anonymous one, without degrading
  assert.equal(result.ok, true);
  assert.equal(anonymous.closedWith, 4001);
  assert.notEqual(FakeSocket.last, anonymous);
  FakeSocket.last.open();
  assert.equal("resume" in (FakeSocket.last.sent[0] ?? {}), false);
  assert.equal(client.state, "live");
});

test("subscribe restarts on a subject mismatch and reports server errors", () => {
  // Given a live subscription
  const errors: string[] = [];
  const client = keep(
    createClient({
      baseUrl: "http://shop.test",
      transport: { WebSocket: FakeWebSocket },
      onError: (e) => errors.push(e.message),
    }),
  );
  client.subscribe(["home-hero"], {}, () => undefined);
  FakeSocket.last.open();
  const first = FakeSocket.last;

  // When the server reports errors, one of them a subject mismatch
  first.receive({ type: "error", revision: 1, seq: 1, code: "unknown_placement", message: "Unknown placement." });
  first.receive({ type: "error", revision: 1, seq: 2, code: "subject_mismatch", message: "Reconnect." });

  // Then both are reported and the socket was replaced
  assert.deepEqual(errors, ["unknown_placement: Unknown placement.", "subject_mismatch: Reconnect."]);
  assert.notEqual(FakeSocket.last, first);
});

test("subscribe without websockets decides once over HTTP and reports the fallback", async () => {
  // Given an environment with no WebSocket and a server that times out
  const { fetch } = fakeFetch(() => new TypeError("offline"));
  const updates: DecisionUpdate[] = [];
  const client = keep(
    createClient({
      bootstrap: { defaults: { "home-hero": HERO_DEFAULT } },
      transport: { fetch },
    }),
  );
  const globalWebSocket = (globalThis as { WebSocket?: unknown }).WebSocket;
  assert.equal(globalWebSocket, undefined);

  // When the page subscribes
  client.subscribe(["home-hero"], {}, (update) => updates.push(update));
  await settle();

  // Then it gets the default, in the default state
  assert.deepEqual(updates[0]?.decisions["home-hero"]?.value, HERO_DEFAULT);
  assert.equal(updates[0]?.state, "default");
});

test("subscribe survives a page callback that throws", () => {
  // Given a subscription whose callback throws
  const errors: string[] = [];
  const client = keep(
    createClient({
      baseUrl: "http://shop.test",
      transport: { WebSocket: FakeWebSocket },
      onError: (e) => errors.push(e.code),
    }),
  );
  client.subscribe(["home-hero"], {}, () => {
    throw new Error("render bug");
  });
  FakeSocket.last.open();

  // When decisions arrive
  FakeSocket.last.receive(decisionsMessage(1, HERO_SHOES, true));

  // Then the error is reported, and the client is live
  assert.deepEqual(errors, ["callback"]);
  assert.equal(client.state, "live");
});

test("subscribe without an answer within the timeout serves the bootstrapped defaults, then goes live", () => {
  // Given a page rendered on the client with defaults only, and a server slow to answer
  const updates: DecisionUpdate[] = [];
  const client = keep(
    createClient({
      baseUrl: "http://shop.test",
      bootstrap: { defaults: { "home-hero": HERO_DEFAULT } },
      transport: { WebSocket: FakeWebSocket },
    }),
  );
  client.subscribe(["home-hero"], {}, (update) => updates.push(update));
  FakeSocket.last.open();

  // When 300 ms pass without decisions
  mock.timers.tick(299);
  assert.equal(updates.length, 0);
  mock.timers.tick(1);

  // Then the page gets the default, in the default state
  assert.deepEqual(updates[0]?.changed, ["home-hero"]);
  assert.deepEqual(updates[0]?.decisions["home-hero"]?.value, HERO_DEFAULT);
  assert.equal(updates[0]?.state, "default");

  // And when the answer finally comes, it is live
  FakeSocket.last.receive(decisionsMessage(1, HERO_SHOES, true));
  assert.equal(updates[1]?.state, "live");
  assert.deepEqual(updates[1]?.decisions["home-hero"]?.value, HERO_SHOES);
});

test("subscribe without an answer keeps the server-rendered decisions, degraded", () => {
  // Given a page rendered by the server, and a server that does not answer
  const { client, updates } = liveClient();
  FakeSocket.last.open();

  // When the timeout passes
  mock.timers.tick(300);

  // Then nothing is re-rendered, but the state says degraded
  assert.equal(client.state, "degraded");
  assert.deepEqual(
    updates.map((u) => [u.state, u.changed]),
    [["degraded", []]],
  );
});

test("subscribe honours a longer live timeout for servers that heartbeat less often", () => {
  // Given a client told that silence is normal for two minutes
  const client = keep(
    createClient({ baseUrl: "http://shop.test", liveTimeoutMs: 120_000, transport: { WebSocket: FakeWebSocket } }),
  );
  client.subscribe(["home-hero"], {}, () => undefined);
  FakeSocket.last.open();
  FakeSocket.last.receive(decisionsMessage(1, HERO_DEFAULT));

  // When a minute and a half of silence passes, then the rest
  mock.timers.tick(90_000);
  assert.equal(FakeSocket.last.closedWith, null);
  mock.timers.tick(30_000);

  // Then only the longer silence closed the socket
  assert.equal(FakeSocket.instances[0]?.closedWith, 4000);
});
