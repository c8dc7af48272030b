/** Public types of the Tactful SDK: what the server sends, and what the page receives. */

/** Any JSON value: what a placement can serve. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/** A context attribute: a string, number, boolean, null, or a list of those. */
export type ContextValue = string | number | boolean | null | readonly (string | number | boolean | null)[];

/**
 * What the page tells the server about the current view (`context.*` attributes): device,
 * locale, page, UTM parameters, local hour… Contextual, never stored, needs no consent.
 */
export type Context = Readonly<Record<string, ContextValue>>;

/** Why a decision was made (OpenFeature's reasons, plus Tactful's `CONSENT_REQUIRED`). */
export type Reason = "TARGETING_MATCH" | "SPLIT" | "DEFAULT" | "DISABLED" | "ERROR" | "CONSENT_REQUIRED";

/** A rule skipped because the visitor has not granted a purpose it needs. */
export type SkippedRule = {
  readonly rule: number;
  readonly segment: string | null;
  readonly missing_purposes: readonly string[];
};

/** Why this value: the rule, segment or experiment that served it and what it used. */
export interface Explanation {
  /** Position of the matching rule (1-based); null when the default was served. */
  readonly rule?: number | null;
  /** Key of the segment that matched. */
  readonly segment?: string | null;
  /** Key of the experiment that assigned the variant. */
  readonly experiment?: string | null;
  /** Consent purposes the decision relied on. */
  readonly purposes?: readonly string[];
  /** Attribute namespaces read (`context`, `prefs`, `signals`). */
  readonly namespaces?: readonly string[];
  /** The visitor's own attribute values that made the segment match. */
  readonly attributes?: { readonly [path: string]: Json };
  /** Rules that would have been considered with more consent. */
  readonly skipped?: readonly SkippedRule[];
  /** Set by the SDK when the decision is a fallback: where it came from. */
  readonly fallback?: "last-known" | "bootstrap";
  readonly [key: string]: Json | undefined;
}

/** One placement's decision. */
export interface Decision<T extends Json = Json> {
  readonly value: T;
  /** The variant served; `"default"` when the placement's default was served. */
  readonly variant: string | null;
  readonly reason: Reason;
  /** True when a rule or an experiment chose the value for this visitor. */
  readonly personalized: boolean;
  readonly explanation: Explanation;
}

/** Decisions by placement key. */
export type Decisions = Readonly<Record<string, Decision>>;

/**
 * How fresh what the SDK serves is:
 * - `live`: the server's current answer (the last request succeeded, or the socket is in sync);
 * - `degraded`: the server cannot be reached; the last known decisions are served;
 * - `default`: nothing was heard from the server for some placement; bootstrapped defaults are served.
 */
export type ClientState = "live" | "degraded" | "default";

/** A visitor's consent, as the consent API reports it. */
export interface ConsentState {
  /** The subject's public id; null before the visitor's first choice. */
  readonly subject: string | null;
  /** Every purpose key → granted now. */
  readonly purposes: Readonly<Record<string, boolean>>;
  /** A Global Privacy Control signal is honoured. */
  readonly gpc: boolean;
  /** Purposes to ask about: never chosen, lapsed, or asked again by a newer notice. */
  readonly ask?: readonly string[];
}

/** What `consent.get()` and `consent.set()` resolve to; they never reject. */
export interface ConsentResult {
  /** False when the server could not be reached or refused the change. */
  readonly ok: boolean;
  /** The server's answer; on failure the last known state, or "necessary only" (fail closed). */
  readonly consent: ConsentState;
  readonly error?: TactfulError;
}

/** The result of `decide()`; it never rejects. */
export interface DecideResult {
  readonly decisions: Decisions;
  readonly state: ClientState;
  /** The configuration revision the decisions were made at; null when unknown. */
  readonly revision: number | null;
  readonly error?: TactfulError;
}

/** A change of a subscription's decisions, passed to the `subscribe()` callback. */
export interface DecisionUpdate {
  /** Every decision of the subscription, current. */
  readonly decisions: Decisions;
  /** The placements whose decision changed in this update. */
  readonly changed: readonly string[];
  readonly state: ClientState;
  readonly revision: number | null;
}

/** A live subscription; `unsubscribe()` closes its socket. */
export interface Subscription {
  readonly decisions: Decisions;
  readonly state: ClientState;
  /** Send a new context (e.g. the page changed): the server re-decides on it. */
  update(context: Context): void;
  unsubscribe(): void;
}

/** A behavioural event, e.g. `{ type: "product_view", properties: { category: "shoes" } }`. */
export interface TrackEvent {
  readonly type: string;
  readonly properties?: Readonly<Record<string, string | number | boolean | null>>;
  /** When it happened, in milliseconds since the epoch; defaults to now. */
  readonly ts?: number;
}

/** An event the server refused, and why (unknown type or property, sensitive data…). */
export interface RejectedEvent {
  /** Its position in the batch that was sent. */
  readonly index: number;
  readonly code: string;
  readonly message: string;
}

/** The server's answer to a batch of events. */
export interface TrackResult {
  readonly accepted: number;
  readonly dropped: number;
  /** Why every event was dropped, when the server says so (`CONSENT_REQUIRED`). */
  readonly reason?: string;
  readonly rejected?: readonly RejectedEvent[];
  /** With `measurement` granted: how many events counted as conversions of a goal. */
  readonly conversions?: number;
  readonly error?: TactfulError;
}

/** What went wrong, reported through `onError`; the SDK never throws it into the page. */
export interface TactfulError {
  readonly code: "timeout" | "network" | "http" | "protocol" | "closed" | "callback";
  readonly message: string;
  /** The HTTP status or websocket close code, when there is one. */
  readonly status?: number;
}

/** What the server rendered the page with, so that the SDK starts where the page is. */
export interface Bootstrap {
  /** Decisions made for this visitor (e.g. server-side for the first paint). */
  readonly decisions?: Decisions;
  /** Each placement's default value: the last fallback. */
  readonly defaults?: Readonly<Record<string, Json>>;
  readonly revision?: number | null;
  readonly consent?: ConsentState;
  /** With `identity: "header"`: the visitor's signed subject token, if the page knows it. */
  readonly subjectToken?: string | null;
}

/** Reconnection policy of live subscriptions: exponential backoff with full jitter. */
export interface ReconnectOptions {
  /** First delay ceiling (ms), default 500. */
  readonly initialDelayMs?: number;
  /** Largest delay ceiling (ms), default 30 000. */
  readonly maxDelayMs?: number;
  /** Growth of the ceiling per failed attempt, default 2. */
  readonly factor?: number;
}

/** Event batching. */
export interface EventOptions {
  /** Send queued events this long after the first one (ms), default 1000. */
  readonly flushIntervalMs?: number;
  /** Send at once when this many events are queued, default 20. */
  readonly maxBatchSize?: number;
  /** Events kept while the server is unreachable; the oldest are dropped beyond, default 200. */
  readonly maxQueueSize?: number;
}

/** A WebSocket constructor (the browser's by default). */
export type WebSocketConstructor = new (url: string) => WebSocket;

/** Platform hooks, for tests and non-browser hosts; the browser's globals by default. */
export interface Transport {
  readonly fetch?: typeof fetch;
  readonly WebSocket?: WebSocketConstructor;
  readonly sendBeacon?: (url: string, data: Blob | string) => boolean;
  /** A number in [0, 1): jitter. */
  readonly random?: () => number;
}

/** Options of `createClient()`; every one is optional. */
export interface ClientOptions {
  /** Where Tactful is served, e.g. `"https://shop.example"`; default: this page's origin. */
  readonly baseUrl?: string;
  /**
   * How the visitor is identified to Tactful:
   * - `"cookie"` (default): the HttpOnly `tactful_subject` cookie Tactful sets. Works on Tactful's
   *   own origin and on other origins of the same site (requests carry credentials); a page on
   *   another site needs the cookie's `SameSite=None` over HTTPS, and browsers that block
   *   third-party cookies drop it anyway.
   * - `"header"`: the signed token in the `X-Tactful-Subject` header (and in the socket's
   *   subscribe); no cookie is sent or kept. Works from any origin in every browser. The token
   *   comes from `bootstrap.subjectToken` and from each consent answer; the SDK keeps it in
   *   memory only and hands new ones to `onSubjectToken`, so the page decides where it lives.
   */
  readonly identity?: "cookie" | "header";
  /** With `identity: "header"`: called with the visitor's new subject token (first choice). */
  readonly onSubjectToken?: (token: string) => void;
  /** What the page was rendered with (server-side decisions, defaults, consent). */
  readonly bootstrap?: Bootstrap;
  /**
   * Requests slower than this (ms) fall back, default 300; a subscription that has no answer
   * yet after this long serves its fallback too (and goes live when the answer comes).
   */
  readonly timeoutMs?: number;
  /** Reconnect a socket silent for this long (ms), default 60 000 (the server heartbeats every 25 s). */
  readonly liveTimeoutMs?: number;
  /** Context sent with every request, merged under each call's own context. */
  readonly context?: Context;
  readonly reconnect?: ReconnectOptions;
  readonly events?: EventOptions;
  /**
   * Send Google Consent Mode v2 updates (`gtag('consent', 'update', …)`) for the known consent
   * and each change of it. The page still sets its own `'default'` (all denied) before loading
   * Google's tags. Off unless asked for.
   */
  readonly consentMode?: boolean | ConsentModeOptions;
  /** Called whenever the client's state changes. */
  readonly onStateChange?: (state: ClientState) => void;
  /** Called with every failure the SDK absorbed (timeouts, network errors, bad answers). */
  readonly onError?: (error: TactfulError) => void;
  readonly transport?: Transport;
}

/** Where and how a consent choice was made; recorded with it as proof. */
export interface ConsentSetOptions {
  /** `"banner"`: the site's consent banner; `"api"` (default): any other control of the page. */
  readonly source?: "banner" | "api";
  /** Which control was used, e.g. `"accept-all"`, `"reject-all"`, `"toggle"` (a-z, 0-9, -). */
  readonly control?: string;
}

/** A Google Consent Mode v2 consent type. */
export type ConsentModeType =
  | "ad_storage"
  | "ad_user_data"
  | "ad_personalization"
  | "analytics_storage"
  | "personalization_storage"
  | "functionality_storage"
  | "security_storage";

/** What `gtag('consent', 'update', …)` is given. */
export type ConsentModeState = Readonly<Partial<Record<ConsentModeType, "granted" | "denied">>>;

/** Google Consent Mode v2 updates from the visitor's purposes (see `ClientOptions.consentMode`). */
export interface ConsentModeOptions {
  /** Purpose → the consent types it grants; default: Tactful's seeded purpose registry. */
  readonly mapping?: Readonly<Record<string, readonly ConsentModeType[]>>;
  /** Where updates go; default: the page's `window.gtag`, else pushed to `window.dataLayer`. */
  readonly gtag?: (...args: unknown[]) => void;
  /** A dataLayer to push to when there is no gtag; default: `window.dataLayer`. */
  readonly dataLayer?: unknown[];
}

/** The consent half of the client. */
export interface ConsentClient {
  /** The current consent; never rejects (fails closed). */
  get(): Promise<ConsentResult>;
  /**
   * Grant (`true`) or refuse/withdraw (`false`) purposes; purposes left out keep their state.
   * The first choice creates the subject and its HttpOnly cookie (set by the server).
   * Live subscriptions follow at once.
   */
  set(purposes: Readonly<Record<string, boolean>>, options?: ConsentSetOptions): Promise<ConsentResult>;
  /** The last consent state known to the client (bootstrap, or the last answer). */
  readonly current: ConsentState | null;
  /** Called when the consent known to the client changes; returns an unsubscribe function. */
  onChange(listener: (consent: ConsentState) => void): () => void;
}

/** A Tactful client: asks, listens, renders and degrades gracefully. */
export interface Client {
  /** How fresh what the client serves is. */
  readonly state: ClientState;
  /**
   * Decide placements (all when omitted) for this visitor in `context`. Never rejects: on a
   * timeout or an error it resolves to the last known decisions, then the bootstrapped defaults.
   */
  decide(placements?: readonly string[], context?: Context): Promise<DecideResult>;
  /**
   * Keep placements (every one when `undefined`) live over a websocket: `onChange` is called with
   * every change (server pushes, consent changes, a newly published configuration). Reconnects
   * with backoff and resumes by sequence number.
   */
  subscribe(
    placements: readonly string[] | undefined,
    context: Context,
    onChange: (update: DecisionUpdate) => void,
  ): Subscription;
  /** Queue behavioural events; they are sent in batches, and with `sendBeacon` on page hide. */
  track(events: TrackEvent | readonly TrackEvent[]): void;
  /** Send queued events now. */
  flush(): Promise<TrackResult>;
  readonly consent: ConsentClient;
  /** Called when the state changes; returns an unsubscribe function. */
  onStateChange(listener: (state: ClientState) => void): () => void;
  /** Close every socket, send queued events and stop timers. */
  close(): void;
}
