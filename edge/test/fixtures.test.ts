/** The TypeScript engine against the shared fixtures of contracts/engine/ (the Python engine's
 * answers): conditions, hashing, bucketing and whole decisions must agree exactly. */

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";

import {
  bucketRanges,
  chooseVariation,
  compileCondition,
  compileSnapshot,
  decideMany,
  decisionBody,
  hashUnit,
} from "../src/engine/index.js";
import type { Range } from "../src/engine/index.js";

// Run from build/test/ (compiled), three levels below the repository.
const FIXTURES = new URL("../../../contracts/engine/", import.meta.url);

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8")) as Record<string, unknown>;
}

function names(prefix: string): string[] {
  return readdirSync(FIXTURES)
    .filter((name) => name.startsWith(prefix) && name.endsWith(".json"))
    .sort();
}

interface ConditionGroup {
  note: string;
  conditions: unknown[];
  attributes: unknown[];
  results: string[];
}

interface VisitorData {
  subject_id: string | null;
  granted: string[];
  attributes: Record<string, unknown>;
}

let conditionCases = 0;
for (const name of names("conditions-")) {
  test(`conditions: ${name} — every (condition, attributes) answer matches`, () => {
    for (const group of fixture(name).groups as ConditionGroup[]) {
      group.conditions.forEach((condition, i) => {
        const matches = compileCondition(condition);
        const got = group.attributes.map((attributes) => (matches(attributes) ? "1" : "0")).join("");
        const wanted = group.results[i] as string;
        if (got !== wanted) {
          const j = [...got].findIndex((bit, k) => bit !== wanted[k]);
          assert.fail(
            `${group.note}: condition ${JSON.stringify(condition)} on attributes ` +
              `${JSON.stringify(group.attributes[j])}: expected ${wanted[j] === "1"}`,
          );
        }
        conditionCases += got.length;
      });
    }
  });
}

test("conditions: the fixtures hold at least 10,000 cases", () => {
  assert.ok(conditionCases >= 10_000, `only ${conditionCases} condition cases`);
});

test("hashing: hashUnit, bucketRanges and chooseVariation give the Python engine's numbers", () => {
  const data = fixture("hashing.json");
  for (const [seed, value, version, expected] of data.hash_unit as [string, string, number, number | null][]) {
    assert.equal(hashUnit(seed, value, version), expected, `hashUnit(${seed}, ${value}, ${version})`);
  }
  for (const [n, coverage, weights, expected] of data.bucket_ranges as [number, number, number[] | null, Range[]][]) {
    assert.deepEqual(bucketRanges(n, coverage, weights), expected, `bucketRanges(${n}, ${coverage}, ${JSON.stringify(weights)})`);
  }
  for (const [n, ranges, expected] of data.choose_variation as [number, Range[], number][]) {
    assert.equal(chooseVariation(n, ranges), expected, `chooseVariation(${n}, ${JSON.stringify(ranges)})`);
  }
});

let decisions = 0;
for (const name of names("decisions-")) {
  test(`decisions: ${name} — every placement for every visitor is decided alike`, () => {
    const data = fixture(name);
    const snapshot = compileSnapshot(data.snapshot);
    const visitors = data.visitors as VisitorData[];
    const expected = data.decisions as Record<string, unknown>[];
    visitors.forEach((visitor, i) => {
      const decided = decideMany(
        snapshot,
        { subjectId: visitor.subject_id, attributes: visitor.attributes, granted: new Set(visitor.granted) },
        snapshot.placements.keys(),
      );
      const got = Object.fromEntries([...decided].map(([key, decision]) => [key, decisionBody(decision)]));
      // The same JSON text: same values, and the explanation's keys in the same order.
      assert.equal(JSON.stringify(got), JSON.stringify(expected[i]), `visitor ${i}: ${JSON.stringify(visitor)}`);
      decisions += decided.size;
    });
  });
}

test("decisions: the fixtures hold a few thousand decisions", () => {
  assert.ok(decisions >= 3_000, `only ${decisions} decisions`);
});
