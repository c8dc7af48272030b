/** A live subscription: the decisions of its placements, kept current by its stream. */

import type { DecisionsMessage, DecisionStream } from "./stream.js";
import type { ClientState, Context, DecideResult, Decision, Decisions, DecisionUpdate, Subscription } from "./types.js";

/** What a subscription needs from its client. */
export interface SubscriptionHost {
  readonly state: ClientState;
  readonly timeoutMs: number;
  openStream(
    subscription: LiveSubscription,
    placements: readonly string[] | undefined,
    context: Context,
  ): DecisionStream | null;
  decide(placements: readonly string[] | undefined, context: Context): Promise<DecideResult>;
  fallbackFor(placements: readonly string[] | undefined): { decisions: Decisions; state: ClientState };
  knownDecisions(placements: readonly string[] | undefined): Decisions;
  forget(subscription: LiveSubscription): void;
  setState(state: ClientState): void;
  /** Call a page callback; whatever it throws is reported, never propagated. */
  call<T>(listener: (value: T) => void, value: T): void;
}

export class LiveSubscription implements Subscription {
  private current: Decisions;
  private currentState: ClientState;
  private revision: number | null = null;
  private stream: DecisionStream | null = null;
  private active = true;
  private answered = false;
  private deadline: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly client: SubscriptionHost,
    /** The placements kept live; every one when undefined. */
    private readonly placements: readonly string[] | undefined,
    private context: Context,
    private readonly onChange: (update: DecisionUpdate) => void,
  ) {
    this.current = client.knownDecisions(placements);
    this.currentState = client.state;
  }

  get decisions(): Decisions {
    return this.current;
  }

  get state(): ClientState {
    return this.currentState;
  }

  start(): void {
    this.stream = this.client.openStream(this, this.placements, this.context);
    if (this.stream) {
      this.deadline = setTimeout(() => {
        if (!this.answered) {
          this.degrade();
        }
      }, this.client.timeoutMs);
      this.stream.start();
      return;
    }
    // No websocket here (or no address): one decision over HTTP, then what is known.
    void this.client.decide(this.placements, this.context).then((result) => {
      if (this.active) {
        this.apply(result.decisions, result.revision, result.state);
      }
    });
  }

  update(context: Context): void {
    this.context = context;
    this.stream?.update(context);
  }

  unsubscribe(): void {
    this.active = false;
    clearTimeout(this.deadline);
    this.stream?.close();
    this.stream = null;
    this.client.forget(this);
  }

  /** @internal */
  restart(): void {
    this.stream?.restart();
  }

  /** @internal */
  retryNow(): void {
    this.stream?.retryNow();
  }

  /** @internal */
  receive(message: DecisionsMessage): void {
    if (this.active) {
      this.answered = true;
      clearTimeout(this.deadline);
      this.apply(message.decisions, message.revision, "live");
    }
  }

  /** @internal */
  sync(inSync: boolean): void {
    if (!this.active) {
      return;
    }
    if (inSync) {
      this.answered = true;
      clearTimeout(this.deadline);
      this.setState("live");
      return;
    }
    this.degrade();
  }

  /**
   * The server is away: keep what the page shows (the last known decisions), add the
   * bootstrapped default of any placement that has nothing yet, and say how fresh it is.
   */
  private degrade(): void {
    const fallback = this.client.fallbackFor(this.placements);
    const missing = Object.keys(fallback.decisions).filter((key) => this.current[key] === undefined);
    if (missing.length > 0) {
      const next: Record<string, Decision> = { ...this.current };
      for (const key of missing) {
        const decision = fallback.decisions[key];
        if (decision !== undefined) {
          next[key] = decision;
        }
      }
      this.current = next;
    }
    const stateChanged = fallback.state !== this.currentState;
    this.currentState = fallback.state;
    this.client.setState(fallback.state);
    if (missing.length > 0 || stateChanged) {
      this.emit(missing);
    }
  }

  private apply(decisions: Decisions, revision: number | null, state: ClientState): void {
    const next: Record<string, Decision> = { ...this.current };
    const changed: string[] = [];
    for (const [key, decision] of Object.entries(decisions)) {
      if (!sameDecision(this.current[key], decision)) {
        changed.push(key);
      }
      next[key] = decision;
    }
    this.current = next;
    this.revision = revision ?? this.revision;
    const stateChanged = this.currentState !== state;
    this.currentState = state;
    this.client.setState(state);
    if (changed.length > 0 || stateChanged) {
      this.emit(changed);
    }
  }

  private setState(state: ClientState): void {
    this.client.setState(state);
    if (state !== this.currentState) {
      this.currentState = state;
      this.emit([]);
    }
  }

  private emit(changed: readonly string[]): void {
    this.client.call(this.onChange, {
      decisions: this.current,
      changed,
      state: this.currentState,
      revision: this.revision,
    });
  }
}

function sameDecision(a: Decision | undefined, b: Decision): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}
