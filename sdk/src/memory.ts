/** What the client remembers, in memory only: last known decisions and the bootstrapped defaults. */

import type { Bootstrap, ClientState, Decision, Decisions, Json } from "./types.js";

/** Decisions served when the server cannot answer, and how fresh they are. */
export interface Fallback {
  readonly decisions: Decisions;
  /** `degraded` when every placement has a last known decision, `default` otherwise. */
  readonly state: Exclude<ClientState, "live">;
}

/**
 * The fallback ladder: the last decision the server gave for a placement (including the ones
 * the page was rendered with), then the placement's bootstrapped default. Nothing is written to
 * the device: a reload starts again from what the server renders.
 */
export class DecisionMemory {
  private readonly known = new Map<string, Decision>();
  private readonly defaults = new Map<string, Json>();
  revision: number | null;

  constructor(bootstrap: Bootstrap | undefined) {
    for (const [key, value] of Object.entries(bootstrap?.defaults ?? {})) {
      this.defaults.set(key, value);
    }
    for (const [key, decision] of Object.entries(bootstrap?.decisions ?? {})) {
      this.known.set(key, decision);
    }
    this.revision = bootstrap?.revision ?? null;
  }

  /** Remember the server's answer. */
  remember(decisions: Decisions, revision: number | null): void {
    for (const [key, decision] of Object.entries(decisions)) {
      this.known.set(key, decision);
    }
    if (revision !== null) {
      this.revision = revision;
    }
  }

  /** The last known decisions of `keys` (all known placements when undefined). */
  current(keys: readonly string[] | undefined): Decisions {
    const result: Record<string, Decision> = {};
    for (const key of keys ?? [...this.known.keys()]) {
      const decision = this.known.get(key);
      if (decision !== undefined) {
        result[key] = decision;
      }
    }
    return result;
  }

  /** What to serve for `keys` (all known placements when undefined) when the server is away. */
  fallback(keys: readonly string[] | undefined): Fallback {
    const wanted = keys ?? [...new Set([...this.known.keys(), ...this.defaults.keys()])];
    const decisions: Record<string, Decision> = {};
    let complete = true;
    for (const key of wanted) {
      const known = this.known.get(key);
      if (known !== undefined) {
        decisions[key] = { ...known, explanation: { ...known.explanation, fallback: "last-known" } };
        continue;
      }
      complete = false;
      if (this.defaults.has(key)) {
        decisions[key] = {
          value: this.defaults.get(key) ?? null,
          variant: "default",
          reason: "ERROR",
          personalized: false,
          explanation: { fallback: "bootstrap" },
        };
      }
    }
    return { decisions, state: complete && wanted.length > 0 ? "degraded" : "default" };
  }

  /**
   * Forget personalized decisions (consent withdrawn): a fallback must not go on serving what
   * the visitor's data chose. Their defaults take their place when known.
   */
  forgetPersonalized(): void {
    for (const [key, decision] of this.known) {
      if (decision.personalized) {
        this.known.delete(key);
      }
    }
  }
}
