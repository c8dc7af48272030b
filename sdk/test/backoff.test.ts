/** Reconnection delays: exponential ceilings, full jitter, a cap. */

import assert from "node:assert/strict";
import { test } from "node:test";

import { backoffDelay, DEFAULT_RECONNECT } from "../src/backoff.js";

test("backoff with the largest jitter doubles from 500 ms up to the 30 s cap", () => {
  const delays = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => backoffDelay(attempt, () => 1));
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
});

test("backoff jitter spreads the delay uniformly below the ceiling", () => {
  assert.equal(
    backoffDelay(3, () => 0),
    0,
  );
  assert.equal(
    backoffDelay(3, () => 0.25),
    1000,
  );
  assert.equal(
    backoffDelay(3, () => 0.5),
    2000,
  );
});

test("backoff honours custom options and clamps a misbehaving random source", () => {
  const options = { ...DEFAULT_RECONNECT, initialDelayMs: 100, factor: 3, maxDelayMs: 1000 };
  assert.equal(
    backoffDelay(2, () => 1, options),
    900,
  );
  assert.equal(
    backoffDelay(5, () => 7, options),
    1000,
  );
  assert.equal(
    backoffDelay(0, () => -1, options),
    0,
  );
});
