/**
 * A Tactful provider for OpenFeature's web SDK (`@openfeature/web-sdk`, a peer dependency): flags
 * are Tactful placements, kept live over Tactful's socket for this visitor.
 *
 * ```ts
 * import { OpenFeature } from "@openfeature/web-sdk";
 * import { createClient } from "@tactful/sdk";
 * import { TactfulWebProvider } from "@tactful/sdk/openfeature";
 * await OpenFeature.setProviderAndWait(new TactfulWebProvider(createClient({ baseUrl })));
 * OpenFeature.getClient().getBooleanValue("free-shipping-banner", false);
 * ```
 */

import { ProviderEvents, ErrorCode, OpenFeatureEventEmitter } from "@openfeature/web-sdk";
import type {
  EvaluationContext,
  FlagMetadata,
  JsonValue,
  Provider,
  ResolutionDetails,
} from "@openfeature/web-sdk";

import type { Client, ClientState, Context, ContextValue, Decision, Decisions, Subscription } from "./types.js";

export interface TactfulProviderOptions {
  /** The placements served as flags; every placement when omitted. */
  readonly flags?: readonly string[];
}

type FlagType = "boolean" | "string" | "number" | "object";

/**
 * OpenFeature's provider interface over a Tactful client. A flag resolves synchronously from the
 * decisions the socket keeps current; a push emits `ConfigurationChanged` with the flags that
 * changed (a publish, the visitor's consent or preferences, new signals). Tactful's reason goes
 * in `reason` (standard ones as they are, plus `CONSENT_REQUIRED`) and in
 * `flagMetadata.tactfulReason`; an unknown flag is `FLAG_NOT_FOUND`, a value of another type
 * `TYPE_MISMATCH`. While Tactful is away, last known values come with reason `STALE` (and the
 * `Stale` event), then placements' defaults with reason `DEFAULT` (and the `Error` event).
 */
export class TactfulWebProvider implements Provider {
  readonly metadata = { name: "Tactful" } as const;
  readonly runsOn = "client" as const;
  readonly events = new OpenFeatureEventEmitter();
  private subscription: Subscription | null = null;
  private decisions: Decisions = {};
  private state: ClientState | null = null;
  private firstUpdate: (() => void) | null = null;

  constructor(
    private readonly client: Client,
    private readonly options: TactfulProviderOptions = {},
  ) {}

  async initialize(context: EvaluationContext = {}): Promise<void> {
    const ready = new Promise<void>((resolve) => {
      this.firstUpdate = resolve;
    });
    this.subscription = this.client.subscribe(this.options.flags, tactfulContext(context), (update) => {
      const changed = this.adopt(update.decisions);
      this.follow(update.state);
      if (this.firstUpdate) {
        this.firstUpdate();
        this.firstUpdate = null;
      } else if (changed.length > 0) {
        this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: changed });
      }
    });
    await ready;
  }

  async onContextChange(_old: EvaluationContext, next: EvaluationContext): Promise<void> {
    const context = tactfulContext(next);
    // The socket follows the new context from now on; the answer for it comes over HTTP, so the
    // SDK's reconciliation ends with values for this context (the socket pushes only changes).
    this.subscription?.update(context);
    const result = await this.client.decide(this.options.flags, context);
    this.adopt(result.decisions);
    this.follow(result.state);
  }

  async onClose(): Promise<void> {
    this.subscription?.unsubscribe();
    this.subscription = null;
  }

  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean): ResolutionDetails<boolean> {
    return this.resolve(flagKey, defaultValue, "boolean");
  }

  resolveStringEvaluation(flagKey: string, defaultValue: string): ResolutionDetails<string> {
    return this.resolve(flagKey, defaultValue, "string");
  }

  resolveNumberEvaluation(flagKey: string, defaultValue: number): ResolutionDetails<number> {
    return this.resolve(flagKey, defaultValue, "number");
  }

  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T): ResolutionDetails<T> {
    return this.resolve(flagKey, defaultValue, "object");
  }

  private resolve<T>(flagKey: string, defaultValue: T, type: FlagType): ResolutionDetails<T> {
    const decision = this.decisions[flagKey];
    if (decision === undefined) {
      return failure(defaultValue, ErrorCode.FLAG_NOT_FOUND, `Tactful has no placement "${flagKey}".`);
    }
    if (typeOf(decision.value) !== type) {
      return failure(
        defaultValue,
        ErrorCode.TYPE_MISMATCH,
        `Placement "${flagKey}" serves ${typeOf(decision.value)}, not ${type}.`,
      );
    }
    // While Tactful is away, what the socket last said is not current any more.
    const fallback = decision.explanation.fallback ?? (this.state === "live" ? undefined : "last-known");
    const reason = fallback === "last-known" ? "STALE" : fallback === "bootstrap" ? "DEFAULT" : decision.reason;
    return {
      value: decision.value as T,
      ...(decision.variant === null ? {} : { variant: decision.variant }),
      reason,
      flagMetadata: { ...metadata(decision), ...(fallback === undefined ? {} : { fallback }) },
    };
  }

  /** Take the decisions in; the flags whose decision changed. */
  private adopt(decisions: Decisions): string[] {
    const changed = Object.keys(decisions).filter(
      (key) => JSON.stringify(this.decisions[key]) !== JSON.stringify(decisions[key]),
    );
    this.decisions = { ...this.decisions, ...decisions };
    return changed;
  }

  /** Say when Tactful goes away (stale, then error) and when it is back. */
  private follow(state: ClientState): void {
    const previous = this.state;
    this.state = state;
    if (previous === null || previous === state) {
      if (previous === null && state !== "live") {
        // The first answer was a fallback: initialize() resolves, then the status follows.
        queueMicrotask(() => this.emitState(state));
      }
      return;
    }
    this.emitState(state);
  }

  private emitState(state: ClientState): void {
    if (state === "live") {
      this.events.emit(ProviderEvents.Ready);
    } else if (state === "degraded") {
      this.events.emit(ProviderEvents.Stale, { message: "Tactful is unreachable: last known values." });
    } else {
      this.events.emit(ProviderEvents.Error, {
        message: "Tactful is unreachable: placements' defaults.",
        errorCode: ErrorCode.GENERAL,
      });
    }
  }
}

function failure<T>(value: T, errorCode: ErrorCode, errorMessage: string): ResolutionDetails<T> {
  return { value, reason: "ERROR", errorCode, errorMessage };
}

function typeOf(value: unknown): FlagType | "null" {
  if (value === null) {
    return "null";
  }
  const type = typeof value;
  return type === "boolean" || type === "string" || type === "number" ? type : "object";
}

function metadata(decision: Decision): FlagMetadata {
  const explanation = decision.explanation;
  const result: Record<string, string | number | boolean> = {
    tactfulReason: decision.reason,
    personalized: decision.personalized,
    consentRequired: decision.reason === "CONSENT_REQUIRED",
  };
  for (const key of ["segment", "experiment"] as const) {
    const value = explanation[key];
    if (typeof value === "string") {
      result[key] = value;
    }
  }
  return result;
}

/**
 * An OpenFeature evaluation context as Tactful's `context.*` attributes. `targetingKey` is left
 * out: Tactful knows the visitor by their signed subject token, never by a key the page sends.
 * Dates become ISO strings; objects (nested attributes) are not sent yet.
 */
export function tactfulContext(context: EvaluationContext): Context {
  const result: Record<string, ContextValue> = {};
  for (const [key, value] of Object.entries(context)) {
    if (key === "targetingKey" || value === undefined) {
      continue;
    }
    const attribute = contextValue(value);
    if (attribute !== undefined) {
      result[key] = attribute;
    }
  }
  return result;
}

type Primitive = string | number | boolean | null;

function primitive(value: unknown): Primitive | undefined {
  if (value === null || typeof value === "string" || typeof value === "boolean") {
    return value;
  }
  if (typeof value === "number") {
    return Number.isFinite(value) ? value : undefined;
  }
  return value instanceof Date ? value.toISOString() : undefined;
}

function contextValue(value: unknown): ContextValue | undefined {
  if (Array.isArray(value)) {
    const items = value.map(primitive);
    return items.every((item) => item !== undefined) ? (items as Primitive[]) : undefined;
  }
  return primitive(value);
}
