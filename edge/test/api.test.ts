/** The engine's API around the fixtures: bad snapshot documents, unknown placements, errors. */

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  compileSnapshot,
  decide,
  decideMany,
  decideWithout,
  decisionBody,
  evaluateCondition,
  SnapshotDocumentError,
} from "../src/engine/index.js";
import type { SnapshotDocument, Visitor } from "../src/engine/index.js";

const DOCUMENT: SnapshotDocument = {
  revision: 3,
  segments: { mobile: { condition: { "context.device": "mobile" } } },
  experiments: {},
  placements: {
    hero: {
      value_type: "string",
      default: "generic",
      enabled: true,
      variants: { mobile: { value: "small" } },
      rules: [{ order: 1, segment: "mobile", variant: "mobile", rollout: 100 }],
    },
  },
};

const MOBILE: Visitor = {
  subjectId: null,
  attributes: { context: { device: "mobile" } },
  granted: new Set(["necessary"]),
};

test("compileSnapshot__document_of_config_document_shape__compiles_every_placement", () => {
  // Given a document as config_document writes it / When it is compiled
  const snapshot = compileSnapshot(DOCUMENT);
  // Then its revision and placements are there, and a mobile visitor gets the mobile variant
  assert.equal(snapshot.revision, 3);
  assert.deepEqual([...snapshot.placements.keys()], ["hero"]);
  const decision = decideMany(snapshot, MOBILE, ["hero"]).get("hero");
  assert.deepEqual(decision && decisionBody(decision), {
    value: "small",
    variant: "mobile",
    reason: "TARGETING_MATCH",
    personalized: true,
    explanation: {
      rule: 1,
      segment: "mobile",
      experiment: null,
      purposes: [],
      namespaces: ["context"],
      attributes: { "context.device": "mobile" },
    },
  });
});

for (const [what, document] of [
  ["not an object", []],
  ["no placements", { revision: 1, segments: {}, experiments: {} }],
  ["a rule naming an unknown segment", { ...DOCUMENT, segments: {} }],
  ["an unknown value type", {
    ...DOCUMENT,
    placements: { hero: { ...DOCUMENT.placements.hero, value_type: "date" } },
  }],
  ["enabled given as text", {
    ...DOCUMENT,
    placements: { hero: { ...DOCUMENT.placements.hero, enabled: "yes" } },
  }],
  ["a segment whose condition is not an object", {
    ...DOCUMENT,
    segments: { mobile: { condition: "context.device" } },
  }],
] as const) {
  test(`compileSnapshot__${what}__throws_a_snapshot_document_error`, () => {
    // Given a document that config_document would never write / When it is compiled
    // Then a SnapshotDocumentError says what is wrong
    assert.throws(() => compileSnapshot(document), SnapshotDocumentError);
  });
}

test("decideMany__unknown_placement__throws_a_range_error", () => {
  // Given a compiled snapshot / When a placement it doesn't hold is asked for
  // Then a RangeError names it (the caller answers 404, as the origin does)
  assert.throws(() => decideMany(compileSnapshot(DOCUMENT), MOBILE, ["nope"]), /nope/);
});

test("decide__rule_serving_a_variant_the_placement_lacks__serves_the_default_with_error", () => {
  // Given a rule whose variant is not among the placement's
  const broken = compileSnapshot({
    ...DOCUMENT,
    placements: {
      hero: { ...DOCUMENT.placements.hero, rules: [{ order: 1, segment: null, variant: "gone" }] },
    },
  });
  // When the placement is decided
  const decision = decide(broken.placements.get("hero")!, MOBILE);
  // Then the default is served with reason ERROR, never an exception
  assert.equal(decision.reason, "ERROR");
  assert.equal(decision.value, "generic");
  assert.equal(decision.explanation.error, "evaluation failed");
});

test("evaluateCondition__attribute_holding_undefined__reads_as_null_like_a_missing_one", () => {
  // Given attributes built in JavaScript with an undefined value (JSON never has one)
  // When conditions on it are evaluated / Then it behaves as a missing attribute: null
  assert.equal(evaluateCondition({ "a.b": null }, { a: { b: undefined } }), true);
  assert.equal(evaluateCondition({ "a.b": { $exists: true } }, { a: { b: undefined } }), false);
});

const PREFS_FIRST: SnapshotDocument = {
  revision: 4,
  segments: {
    mobile: { condition: { "context.device": "mobile" } },
    outdoor: { condition: { "prefs.interests": "outdoor" } },
  },
  experiments: {},
  placements: {
    hero: {
      value_type: "string",
      default: "generic",
      enabled: true,
      variants: { mobile: { value: "small" }, outdoor: { value: "trail" } },
      rules: [
        { order: 1, segment: "mobile", variant: "mobile" },
        { order: 2, segment: "outdoor", variant: "outdoor" },
      ],
    },
  },
};
const MISSING = new Set(["prefs", "signals"]);

test("decideWithout__granted_rule_reads_a_missing_namespace__null", () => {
  // Given a desktop visitor who granted personalization, whose preferences are not at hand
  const hero = compileSnapshot(PREFS_FIRST).placements.get("hero")!;
  const visitor: Visitor = {
    subjectId: "s1",
    attributes: { context: { device: "desktop" } },
    granted: new Set(["necessary", "personalization"]),
  };
  // When decided without prefs / Then only a tier holding them can decide
  assert.equal(decideWithout(hero, visitor, MISSING), null);
});

test("decideWithout__earlier_rule_serves__the_decision", () => {
  // Given a mobile visitor: the contextual rule before the preference rule serves
  const hero = compileSnapshot(PREFS_FIRST).placements.get("hero")!;
  const visitor: Visitor = {
    subjectId: "s1",
    attributes: { context: { device: "mobile" } },
    granted: new Set(["necessary", "personalization"]),
  };
  // When / Then the same decision as decide's
  assert.deepEqual(decideWithout(hero, visitor, MISSING), decide(hero, visitor));
  assert.equal(decideWithout(hero, visitor, MISSING)!.variant, "mobile");
});

test("decideWithout__purpose_not_granted__consent_required_as_decide", () => {
  // Given an anonymous desktop visitor: the preference rule is skipped for consent
  const hero = compileSnapshot(PREFS_FIRST).placements.get("hero")!;
  const visitor: Visitor = {
    subjectId: null,
    attributes: { context: { device: "desktop" } },
    granted: new Set(["necessary"]),
  };
  // When / Then decided at once, as decide does
  const decision = decideWithout(hero, visitor, MISSING);
  assert.equal(decision!.reason, "CONSENT_REQUIRED");
  assert.deepEqual(decision, decide(hero, visitor));
});
