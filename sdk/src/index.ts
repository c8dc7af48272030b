/**
 * Tactful's browser SDK: ask for decisions, keep them live, send behavioural events and manage
 * consent, and keep the page working when the server is slow or away.
 *
 * ```ts
 * import { createClient } from "/static/tactful/index.js";
 * const tactful = createClient({ bootstrap });
 * tactful.subscribe(["home-hero"], { page: "home" }, ({ decisions }) => render(decisions));
 * ```
 */

export { createClient } from "./client.js";
export { consentModeState, DEFAULT_CONSENT_MODE_MAPPING } from "./consentmode.js";
export type {
  Bootstrap,
  Client,
  ClientOptions,
  ClientState,
  ConsentClient,
  ConsentModeOptions,
  ConsentModeState,
  ConsentModeType,
  ConsentResult,
  ConsentSetOptions,
  ConsentState,
  Context,
  ContextValue,
  DecideResult,
  Decision,
  Decisions,
  DecisionUpdate,
  EventOptions,
  Explanation,
  Json,
  Reason,
  ReconnectOptions,
  RejectedEvent,
  SkippedRule,
  Subscription,
  TactfulError,
  TrackEvent,
  TrackResult,
  Transport,
  WebSocketConstructor,
} from "./types.js";
