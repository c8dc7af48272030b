/** The Tactful client: asks for decisions, listens for changes, sends events, degrades gracefully. */

import { DEFAULT_RECONNECT } from "./backoff.js";
import { consentChange, NECESSARY_ONLY, parseConsent } from "./consent.js";
import { consentModeSink, consentModeState } from "./consentmode.js";
import { DEFAULT_EVENTS, EventQueue, type EventSender, type WireEvent } from "./events.js";
import { describe, isRecord, requestJson } from "./http.js";
import { DecisionMemory } from "./memory.js";
import { beaconSend, pageAttach } from "./page.js";
import { parseDecideAnswer, parseTrackAnswer } from "./answers.js";
import { DecisionStream } from "./stream.js";
import { LiveSubscription, type SubscriptionHost } from "./subscription.js";
import type {
  Client,
  ClientOptions,
  ConsentSetOptions,
  ClientState,
  ConsentClient,
  ConsentResult,
  ConsentState,
  Context,
  DecideResult,
  Decisions,
  DecisionUpdate,
  Subscription,
  TactfulError,
  TrackEvent,
  TrackResult,
  WebSocketConstructor,
} from "./types.js";

const DEFAULT_TIMEOUT_MS = 300;
/** Events are not on the rendering path: they may take longer than a decision. */
const EVENTS_TIMEOUT_MS = 5000;
/** The server heartbeats every 25 s by default; twice that and some slack means it is gone. */
const SILENCE_MS = 60_000;
/**
 * Events serve these purposes (signal windows; goal conversions): they stay on the device while
 * every one of them is known to be refused.
 */
const EVENTS_PURPOSES = ["personalization", "measurement"] as const;

function eventsAllowed(consent: ConsentState): boolean {
  return EVENTS_PURPOSES.some((purpose) => consent.purposes[purpose] === true);
}
/** Carries the signed subject token when the visitor is identified by header. */
const SUBJECT_HEADER = "X-Tactful-Subject";

/** Create a client. It never throws, now or later: failures go to `onError` and `state`. */
export function createClient(options: ClientOptions = {}): Client {
  return new TactfulClient(options);
}

type Listener<T> = (value: T) => void;

/** The body of `PUT /api/v1/consent`. */
interface ConsentUpdate extends ConsentSetOptions {
  readonly purposes: Readonly<Record<string, boolean>>;
}

class TactfulClient implements Client, SubscriptionHost {
  readonly consent: ConsentClient;
  private currentState: ClientState = "default";
  private readonly memory: DecisionMemory;
  private readonly queue: EventQueue;
  private readonly subscriptions = new Set<LiveSubscription>();
  private readonly stateListeners = new Set<Listener<ClientState>>();
  private readonly consentListeners = new Set<Listener<ConsentState>>();
  private knownConsent: ConsentState | null;
  /** The signed subject token, when the visitor is identified by header (`identity: "header"`). */
  private subjectToken: string | null;
  private readonly fetchFn: typeof fetch | null;
  private readonly detach: () => void;
  private closed = false;

  constructor(private readonly options: ClientOptions) {
    this.memory = new DecisionMemory(options.bootstrap);
    this.knownConsent = options.bootstrap?.consent ?? null;
    this.subjectToken = options.identity === "header" ? (options.bootstrap?.subjectToken ?? null) : null;
    const transport = options.transport ?? {};
    this.fetchFn = transport.fetch ?? (typeof fetch === "function" ? fetch.bind(globalThis) : null);
    this.queue = new EventQueue(this.eventSender(), { ...DEFAULT_EVENTS, ...options.events }, (error) =>
      this.report(error),
    );
    if (options.onStateChange) {
      this.stateListeners.add(options.onStateChange);
    }
    this.consent = this.consentClient();
    if (this.knownConsent !== null) {
      this.consentModeUpdate(this.knownConsent);
    }
    this.detach = pageAttach({
      onHide: () => this.queue.flushOnHide(),
      onOnline: () => {
        for (const subscription of this.subscriptions) {
          subscription.retryNow();
        }
      },
    });
  }

  get state(): ClientState {
    return this.currentState;
  }

  async decide(placements?: readonly string[], context?: Context): Promise<DecideResult> {
    try {
      const body = {
        context: { ...this.options.context, ...context },
        ...(placements === undefined ? {} : { placements: [...placements] }),
      };
      const outcome = this.fetchFn
        ? await requestJson<unknown>(this.fetchFn, {
            method: "POST",
            url: this.url("/api/v1/decide"),
            body,
            timeoutMs: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
            ...this.who(),
          })
        : ({ ok: false, error: { code: "network", message: "No fetch in this environment." } } as const);
      if (outcome.ok) {
        const answer = parseDecideAnswer(outcome.body);
        if (answer) {
          this.memory.remember(answer.decisions, answer.revision);
          if (answer.purposes) {
            this.learnConsent({ ...(this.knownConsent ?? NECESSARY_ONLY), purposes: answer.purposes });
          }
          this.setState("live");
          return { decisions: answer.decisions, state: "live", revision: answer.revision };
        }
      }
      const error: TactfulError = outcome.ok
        ? { code: "protocol", message: "The decide answer has no decisions." }
        : outcome.error;
      this.report(error);
      const fallback = this.memory.fallback(placements);
      this.setState(fallback.state);
      return { decisions: fallback.decisions, state: fallback.state, revision: this.memory.revision, error };
    } catch (error) {
      return this.unexpected(error, placements);
    }
  }

  subscribe(
    placements: readonly string[] | undefined,
    context: Context,
    onChange: (update: DecisionUpdate) => void,
  ): Subscription {
    const keys = placements === undefined ? undefined : [...placements];
    const subscription = new LiveSubscription(this, keys, { ...this.options.context, ...context }, onChange);
    this.subscriptions.add(subscription);
    subscription.start();
    return subscription;
  }

  track(events: TrackEvent | readonly TrackEvent[]): void {
    try {
      const list: readonly TrackEvent[] = isTrackEventList(events) ? events : [events];
      if (this.closed || list.length === 0) {
        return;
      }
      if (this.knownConsent !== null && !eventsAllowed(this.knownConsent)) {
        // Not granted: the events would be dropped by the server anyway; they do not leave the page.
        return;
      }
      this.queue.push(list);
    } catch (error) {
      this.report({ code: "callback", message: `track() failed: ${describe(error)}` });
    }
  }

  async flush(): Promise<TrackResult> {
    try {
      return await this.queue.flush();
    } catch (error) {
      const failure: TactfulError = { code: "network", message: describe(error) };
      this.report(failure);
      return { accepted: 0, dropped: 0, error: failure };
    }
  }

  onStateChange(listener: (state: ClientState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  close(): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    for (const subscription of [...this.subscriptions]) {
      subscription.unsubscribe();
    }
    this.queue.flushOnHide();
    this.queue.close();
    this.detach();
  }

  // Shared with subscriptions ------------------------------------------------------------

  /** @internal */
  openStream(
    subscription: LiveSubscription,
    placements: readonly string[] | undefined,
    context: Context,
  ): DecisionStream | null {
    const url = this.socketUrl();
    const WebSocketImpl: WebSocketConstructor | null =
      this.options.transport?.WebSocket ?? (typeof WebSocket === "function" ? WebSocket : null);
    if (url === null || WebSocketImpl === null || this.closed) {
      return null;
    }
    return new DecisionStream({
      url,
      placements,
      context,
      token: () => this.subjectToken,
      WebSocket: WebSocketImpl,
      random: this.options.transport?.random ?? Math.random,
      reconnect: { ...DEFAULT_RECONNECT, ...this.options.reconnect },
      silenceMs: this.options.liveTimeoutMs ?? SILENCE_MS,
      onDecisions: (message) => {
        this.memory.remember(message.decisions, message.revision);
        subscription.receive(message);
      },
      onSync: (inSync) => subscription.sync(inSync),
      onError: (error) => this.report(error),
    });
  }

  /** @internal */
  fallbackFor(placements: readonly string[] | undefined): { decisions: Decisions; state: ClientState } {
    return this.memory.fallback(placements);
  }

  /** @internal */
  get timeoutMs(): number {
    return this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** @internal */
  knownDecisions(placements: readonly string[] | undefined): Decisions {
    return this.memory.current(placements);
  }

  /** @internal */
  forget(subscription: LiveSubscription): void {
    this.subscriptions.delete(subscription);
  }

  /** @internal */
  setState(state: ClientState): void {
    if (state === this.currentState) {
      return;
    }
    this.currentState = state;
    for (const listener of [...this.stateListeners]) {
      this.call(listener, state);
    }
  }

  /** @internal Call a page callback: whatever it throws is reported, never propagated. */
  call<T>(listener: Listener<T>, value: T): void {
    try {
      listener(value);
    } catch (error) {
      this.report({ code: "callback", message: `A callback threw: ${describe(error)}` });
    }
  }

  /** @internal */
  report(error: TactfulError): void {
    const onError = this.options.onError;
    if (onError) {
      try {
        onError(error);
      } catch {
        // The error handler itself failed: there is nobody left to tell.
      }
    }
  }

  // Consent ------------------------------------------------------------------------------

  private consentClient(): ConsentClient {
    const client = this;
    return {
      get: () => this.consentRequest("GET"),
      set: (purposes, options) => this.consentRequest("PUT", { purposes, ...options }),
      get current() {
        return client.knownConsent;
      },
      onChange: (listener) => {
        this.consentListeners.add(listener);
        return () => this.consentListeners.delete(listener);
      },
    };
  }

  private async consentRequest(method: "GET" | "PUT", body?: ConsentUpdate): Promise<ConsentResult> {
    try {
      const outcome = this.fetchFn
        ? await requestJson<unknown>(this.fetchFn, {
            method,
            url: this.url("/api/v1/consent"),
            ...(body === undefined ? {} : { body }),
            // A consent choice is worth waiting for longer than a decision.
            timeoutMs: Math.max(this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS, EVENTS_TIMEOUT_MS),
            ...this.who(),
          })
        : ({ ok: false, error: { code: "network", message: "No fetch in this environment." } } as const);
      const consent = outcome.ok ? parseConsent(outcome.body) : null;
      if (consent) {
        if (outcome.ok) {
          this.learnToken(outcome.body);
        }
        this.learnConsent(consent);
        return { ok: true, consent };
      }
      const error: TactfulError = outcome.ok
        ? { code: "protocol", message: "The consent answer is not a consent state." }
        : outcome.error;
      this.report(error);
      return { ok: false, consent: this.knownConsent ?? NECESSARY_ONLY, error };
    } catch (error) {
      const failure: TactfulError = { code: "network", message: describe(error) };
      this.report(failure);
      return { ok: false, consent: this.knownConsent ?? NECESSARY_ONLY, error: failure };
    }
  }

  private learnConsent(consent: ConsentState): void {
    const change = consentChange(this.knownConsent, consent);
    this.knownConsent = consent;
    if (!change.changed) {
      return;
    }
    if (change.withdrawn.length > 0) {
      this.memory.forgetPersonalized();
    }
    if (!eventsAllowed(consent)) {
      this.queue.discard();
    }
    if (change.subjectChanged) {
      // A socket's visitor is fixed at its handshake: the new subject cookie needs new sockets.
      for (const subscription of this.subscriptions) {
        subscription.restart();
      }
    }
    this.consentModeUpdate(consent);
    for (const listener of [...this.consentListeners]) {
      this.call(listener, consent);
    }
  }

  /** Tell Google's tags (Consent Mode v2), when the page asked for it. */
  private consentModeUpdate(consent: ConsentState): void {
    const setting = this.options.consentMode;
    if (!setting) {
      return;
    }
    const options = setting === true ? {} : setting;
    try {
      consentModeSink(options)?.("consent", "update", consentModeState(consent.purposes, options.mapping));
    } catch (error) {
      this.report({ code: "callback", message: `Consent Mode update failed: ${describe(error)}` });
    }
  }

  // Identity -----------------------------------------------------------------------------

  /**
   * How requests identify the visitor: the subject cookie (sent to Tactful's origin too, when
   * the browser allows it), or the header token and no cookie at all.
   */
  private who(): { credentials: RequestCredentials; headers: Record<string, string> } {
    if (this.options.identity !== "header") {
      return { credentials: "include", headers: {} };
    }
    return {
      credentials: "omit",
      headers: this.subjectToken === null ? {} : { [SUBJECT_HEADER]: this.subjectToken },
    };
  }

  /** A consent answer's token: kept (in memory) and handed to the page, in header mode. */
  private learnToken(body: unknown): void {
    const token = isRecord(body) && typeof body["token"] === "string" ? body["token"] : null;
    if (this.options.identity !== "header" || token === null || token === this.subjectToken) {
      return;
    }
    this.subjectToken = token;
    const onSubjectToken = this.options.onSubjectToken;
    if (onSubjectToken) {
      this.call(onSubjectToken, token);
    }
  }

  // Plumbing -----------------------------------------------------------------------------

  private eventSender(): EventSender {
    return {
      send: async (batch) => {
        if (!this.fetchFn) {
          return {
            result: {
              accepted: 0,
              dropped: batch.length,
              error: { code: "network", message: "No fetch in this environment." },
            },
            retry: false,
          };
        }
        const outcome = await requestJson<unknown>(this.fetchFn, {
          method: "POST",
          url: this.url("/api/v1/events"),
          body: { events: batch },
          timeoutMs: EVENTS_TIMEOUT_MS,
          ...this.who(),
        });
        if (!outcome.ok) {
          const status = outcome.error.status ?? 0;
          const retry = outcome.error.code !== "http" || status >= 500 || status === 429;
          return { result: { accepted: 0, dropped: retry ? 0 : batch.length, error: outcome.error }, retry };
        }
        return { result: parseTrackAnswer(outcome.body, batch.length), retry: false };
      },
      beacon: (batch) => this.beacon(batch),
    };
  }

  private beacon(batch: readonly WireEvent[]): boolean {
    try {
      return beaconSend(
        this.url("/api/v1/events"),
        { events: batch },
        this.options.transport ?? {},
        this.fetchFn,
        this.who(),
      );
    } catch (error) {
      this.report({ code: "network", message: `Could not beacon events: ${describe(error)}` });
      return false;
    }
  }

  private url(path: string): string {
    return `${(this.options.baseUrl ?? "").replace(/\/+$/, "")}${path}`;
  }

  private socketUrl(): string | null {
    try {
      const base = this.options.baseUrl || (typeof location !== "undefined" ? location.href : "");
      const url = new URL(this.url("/ws/v1/decisions"), base || undefined);
      url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
      return url.toString();
    } catch (error) {
      this.report({ code: "network", message: `No websocket address: ${describe(error)}` });
      return null;
    }
  }

  private unexpected(error: unknown, placements: readonly string[] | undefined): DecideResult {
    const failure: TactfulError = { code: "network", message: describe(error) };
    this.report(failure);
    const fallback = this.memory.fallback(placements);
    this.setState(fallback.state);
    return { decisions: fallback.decisions, state: fallback.state, revision: this.memory.revision, error: failure };
  }
}

function isTrackEventList(events: TrackEvent | readonly TrackEvent[]): events is readonly TrackEvent[] {
  return Array.isArray(events);
}
