/** track(): batching, flushing, retries, sendBeacon on page hide, and consent gating. */

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import { createClient } from "../src/index.js";
import type { ConsentState } from "../src/index.js";
import { fakeFetch, json, settle } from "./fakes.js";

const GRANTED: ConsentState = { subject: "abc", purposes: { necessary: true, personalization: true }, gpc: false };
const REFUSED: ConsentState = { subject: "abc", purposes: { necessary: true, personalization: false }, gpc: false };
const VIEW = { type: "product_view", properties: { category: "shoes" } } as const;

afterEach(() => {
  delete (globalThis as { window?: unknown }).window;
  delete (globalThis as { document?: unknown }).document;
});

test("track sends the events of one interval in one batch, stamped in milliseconds", async (t) => {
  // Given a consenting visitor
  t.mock.timers.enable({ apis: ["setTimeout", "Date"], now: 1_700_000_000_000 });
  const { fetch, calls } = fakeFetch(() => json({ accepted: 3, dropped: 0 }, 202));
  const client = createClient({ bootstrap: { consent: GRANTED }, transport: { fetch } });

  // When three products are viewed within a second
  client.track(VIEW);
  client.track([VIEW, { ...VIEW, ts: 1_699_999_999_000 }]);
  t.mock.timers.tick(999);
  assert.equal(calls.length, 0);
  t.mock.timers.tick(1);
  await settle();

  // Then one request carries all three
  assert.equal(calls.length, 1);
  assert.equal(calls[0]?.url, "/api/v1/events");
  assert.deepEqual(calls[0]?.body, {
    events: [
      { type: "product_view", properties: { category: "shoes" }, ts: 1_700_000_000_000 },
      { type: "product_view", properties: { category: "shoes" }, ts: 1_700_000_000_000 },
      { type: "product_view", properties: { category: "shoes" }, ts: 1_699_999_999_000 },
    ],
  });
});

test("track sends at once when a batch is full", async () => {
  // Given a batch size of two
  const { fetch, calls } = fakeFetch(() => json({ accepted: 2, dropped: 0 }, 202));
  const client = createClient({ bootstrap: { consent: GRANTED }, events: { maxBatchSize: 2 }, transport: { fetch } });

  // When two events are tracked
  client.track([VIEW, VIEW]);
  await settle();

  // Then they are sent without waiting
  assert.equal(calls.length, 1);
});

test("flush resolves to the server's count and reason", async () => {
  // Given a server that drops events for lack of consent
  const { fetch } = fakeFetch(() => json({ accepted: 0, dropped: 1, reason: "consent_required" }, 202));
  const client = createClient({ transport: { fetch } });

  // When an event is flushed
  client.track(VIEW);
  const result = await client.flush();

  // Then the page learns what happened
  assert.deepEqual(result, { accepted: 0, dropped: 1, reason: "consent_required" });
});

test("track keeps events through an outage and retries with growing delays", async (t) => {
  // Given a server that fails twice, then accepts
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const answers = [new TypeError("offline"), json({ error: { code: "x", message: "down" } }, 503)];
  const { fetch, calls } = fakeFetch(() => answers.shift() ?? json({ accepted: 1, dropped: 0 }, 202));
  const client = createClient({ bootstrap: { consent: GRANTED }, transport: { fetch } });

  // When an event is tracked and the flushes fail
  client.track(VIEW);
  t.mock.timers.tick(1000);
  await settle();
  assert.equal(calls.length, 1);
  t.mock.timers.tick(1999);
  await settle();
  assert.equal(calls.length, 1);
  t.mock.timers.tick(1);
  await settle();
  assert.equal(calls.length, 2);
  t.mock.timers.tick(4000);
  await settle();

  // Then the same event is sent again each time, until accepted
  assert.equal(calls.length, 3);
  assert.deepEqual(calls[2]?.body, calls[0]?.body);
  assert.equal((await client.flush()).accepted, 0);
});

test("flush reports the events the server rejected, with why", async () => {
  // Given a server that rejects one event of two
  const rejection = { index: 1, code: "unknown_type", message: "Unknown event type 'hover'." };
  const { fetch } = fakeFetch(() => json({ accepted: 1, dropped: 1, rejected: [rejection] }, 202));
  const client = createClient({ bootstrap: { consent: GRANTED }, transport: { fetch } });

  // When both are flushed
  client.track([VIEW, { type: "hover" }]);
  const result = await client.flush();

  // Then the page learns which one and why
  assert.deepEqual(result, { accepted: 1, dropped: 1, rejected: [rejection] });
});

test("track drops a batch the server refuses as invalid instead of retrying it forever", async () => {
  // Given a server that answers 400
  const { fetch, calls } = fakeFetch(() => json({ error: { code: "invalid", message: "Bad." } }, 400));
  const client = createClient({ bootstrap: { consent: GRANTED }, transport: { fetch } });

  // When an event is flushed twice
  client.track(VIEW);
  const first = await client.flush();
  await client.flush();

  // Then it was sent once and reported dropped
  assert.equal(calls.length, 1);
  assert.equal(first.dropped, 1);
  assert.equal(first.error?.status, 400);
});

test("track keeps events on the page while the visitor has not granted personalization", async () => {
  // Given a visitor who refused
  const { fetch, calls } = fakeFetch(() => json({ accepted: 1, dropped: 0 }, 202));
  const client = createClient({ bootstrap: { consent: REFUSED }, transport: { fetch } });

  // When products are viewed and events flushed
  client.track([VIEW, VIEW]);
  await client.flush();

  // Then nothing left the page
  assert.equal(calls.length, 0);
});

test("track sends events of a visitor who granted measurement only, and reports conversions", async () => {
  // Given a visitor who refused personalization but granted measurement
  const measured: ConsentState = { subject: "abc", purposes: { necessary: true, personalization: false, measurement: true }, gpc: false };
  const { fetch, calls } = fakeFetch(() => json({ accepted: 0, dropped: 1, reason: "CONSENT_REQUIRED", conversions: 1, rejected: [] }, 202));
  const client = createClient({ bootstrap: { consent: measured }, transport: { fetch } });

  // When they buy something
  client.track({ type: "purchase", properties: { product: "tent", revenue: 249.5 } });
  const result = await client.flush();

  // Then the purchase left the page, and the answer says it was a conversion
  assert.equal(calls.length, 1);
  assert.equal(result.conversions, 1);
});

test("withdrawing consent forgets the events still queued", async () => {
  // Given a consenting visitor with a queued event
  const { fetch, calls } = fakeFetch((call) =>
    call.url.endsWith("/consent") ? json(REFUSED) : json({ accepted: 1, dropped: 0 }, 202),
  );
  const client = createClient({ bootstrap: { consent: GRANTED }, transport: { fetch } });
  client.track(VIEW);

  // When the visitor withdraws before the flush
  await client.consent.set({ personalization: false });
  await client.flush();

  // Then the event was never sent
  assert.deepEqual(
    calls.map((c) => c.url),
    ["/api/v1/consent"],
  );
});

test("track hands queued events to sendBeacon when the page is hidden", () => {
  // Given a page (window and document) and a consenting visitor with queued events
  const page = new EventTarget();
  const doc = Object.assign(new EventTarget(), { visibilityState: "visible" });
  Object.assign(globalThis, { window: page, document: doc });
  const beacons: { url: string; body: string }[] = [];
  const { fetch } = fakeFetch(() => json({}, 202));
  const client = createClient({
    bootstrap: { consent: GRANTED },
    transport: {
      fetch,
      sendBeacon: (url, data) => {
        beacons.push({ url, body: data instanceof Blob ? "blob" : data });
        return true;
      },
    },
  });
  client.track([VIEW, VIEW]);

  // When the tab is hidden, then the page is hidden for good
  doc.visibilityState = "hidden";
  doc.dispatchEvent(new Event("visibilitychange"));
  client.track(VIEW);
  page.dispatchEvent(new Event("pagehide"));

  // Then each hide sent what was queued, and nothing is left
  assert.equal(beacons.length, 2);
  assert.equal(beacons[0]?.url, "/api/v1/events");
  client.close();
});

test("track splits a large queue into beacons the browser accepts", () => {
  // Given 45 queued events and a batch size of 20
  const sizes: number[] = [];
  const client = createClient({
    bootstrap: { consent: GRANTED },
    transport: {
      fetch: fakeFetch(() => json({}, 202)).fetch,
      sendBeacon: (_url, data) => {
        sizes.push((JSON.parse(String(data)) as { events: unknown[] }).events.length);
        return true;
      },
    },
  });
  const Blob0 = globalThis.Blob;
  (globalThis as { Blob?: unknown }).Blob = undefined;
  try {
    client.track(Array.from({ length: 45 }, () => VIEW));
    // When the client is closed (as on page hide)
    client.close();
  } finally {
    globalThis.Blob = Blob0;
  }

  // Then the events went in batches of at most 20
  assert.deepEqual(sizes.slice(-3), [20, 20, 5]);
});
