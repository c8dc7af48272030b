// The storefront's glue: the server rendered the page; the Tactful SDK keeps it live.
// Frontends orchestrate, they do not decide: this script asks, listens and renders.
import { createClient } from "tactful";

const boot = JSON.parse(document.getElementById("tactful-bootstrap").textContent);
const STATIC = new URL("./", import.meta.url).href; // …/static/storefront/
const STATUS_TEXT = {
  live: "Decisions are live: changes arrive as they happen.",
  degraded: "The server cannot be reached: showing the last decisions it gave.",
  default: "Nothing heard from the server yet: showing the defaults.",
};

const tactful = createClient({
  bootstrap: { decisions: boot.decisions, defaults: boot.defaults, revision: boot.revision, consent: boot.consent },
  onStateChange: showStatus,
  onError: (error) => console.debug("[tactful]", error.code, error.message),
});
window.tactful = tactful; // handy in the console, and for the browser tests

// Decisions --------------------------------------------------------------------------------

tactful.subscribe(boot.placements, boot.context, ({ decisions, changed }) => {
  for (const key of changed) {
    const decision = decisions[key];
    if (decision) {
      render(key, decision);
    }
  }
});

function render(key, decision) {
  if (key === "home-hero") renderHero(decision);
  if (key === "free-shipping-banner") renderShipping(decision);
  if (key === "recommendations") renderRecommendations(decision);
  renderWhy(key, decision);
}

function renderHero(decision) {
  const hero = document.querySelector('[data-placement="home-hero"]');
  const value = { ...boot.defaults["home-hero"], ...(isObject(decision.value) ? decision.value : {}) };
  hero.className = `hero hero--${value.theme}`;
  hero.dataset.variant = decision.variant ?? "default";
  hero.dataset.reason = decision.reason;
  hero.querySelector(".hero__headline").textContent = value.headline;
  hero.querySelector(".hero__cta").textContent = value.cta;
  hero.querySelector(".hero__image").src = `${STATIC}img/${value.image}`;
}

function renderShipping(decision) {
  const strip = document.querySelector('[data-placement="free-shipping-banner"]');
  strip.hidden = decision.value !== true;
  strip.dataset.variant = decision.variant ?? "default";
}

function renderRecommendations(decision) {
  const shelf = document.querySelector('[data-placement="recommendations"]');
  const strategy = boot.recommendations[decision.value] ?? boot.recommendations.bestsellers;
  shelf.dataset.variant = decision.variant ?? "default";
  shelf.querySelector(".shelf__title").textContent = strategy.title;
  const list = shelf.querySelector("[data-recommended]");
  list.replaceChildren(
    ...strategy.products.map((key) => document.querySelector(`[data-catalog] [data-product="${key}"]`).cloneNode(true)),
  );
}

// "Why this?": the decision's explanation in plain words (the same sentences as the privacy center).

function renderWhy(key, decision) {
  const why = document.querySelector(`[data-why="${key}"]`);
  if (!why) return;
  why.hidden = !decision.personalized;
  if (!decision.personalized) {
    why.open = false;
    return;
  }
  const { reasons, purposes } = explain(decision.explanation ?? {});
  why.querySelector(".why__reasons").replaceChildren(
    ...reasons.map((reason) => Object.assign(document.createElement("li"), { textContent: `${reason}.` })),
  );
  const used = why.querySelector(".why__purposes");
  used.hidden = purposes.length === 0;
  used.textContent = `Used with your consent for: ${purposes.join(", ")}.`;
}

const VERBS = { product_view: "viewed", page_view: "visited", add_to_cart: "added to your cart", search: "searched for", purchase: "bought" };
const CONTEXT = {
  device: "Because you are on a {} device",
  locale: "Because your browser asks for the language {}",
  utm_campaign: "Because you arrived from the campaign “{}”",
  utm_source: "Because you arrived from {}",
  page: "Because of the page you are on ({})",
};
const UNITS = { m: ["minute", "minutes"], h: ["hour", "hours"], d: ["day", "days"] };

function explain(explanation) {
  const reasons = Object.entries(explanation.attributes ?? {}).map(([path, value]) => reason(path, value));
  if (explanation.experiment) {
    reasons.push(`Because you take part in the test “${explanation.experiment}”, which shows different versions to different visitors`);
  }
  if (reasons.length === 0) {
    const segment = explanation.segment;
    reasons.push(segment ? `Because you are in the audience “${boot.segments[segment] ?? segment}”` : "Shown to every visitor");
  }
  const purposes = (explanation.purposes ?? []).map((p) => boot.purposeNames[p] ?? p);
  return { reasons, purposes };
}

function reason(path, value) {
  const [namespace, ...rest] = path.split(".");
  const words = (v) => (Array.isArray(v) ? v.map(words).join(", ") : String(v).replaceAll("_", " "));
  if (namespace === "prefs") {
    const spec = boot.preferences[rest.join(".")];
    const values = Array.isArray(value) ? value : [value];
    return spec
      ? `Because you chose the ${spec.noun} ${values.map((v) => spec.labels[v] ?? v).join(", ")}`
      : `Because you chose ${words(values)} for ${words(rest.join("."))}`;
  }
  if (namespace === "signals" && rest.length > 0) {
    const [event, ...more] = rest;
    const verb = VERBS[event] ?? `had “${words(event)}” activity for`;
    const thing = more.length >= 3 ? words(more[more.length - 2]) : "this";
    const window = /^count_(\d+)([mhd])$/.exec(more[more.length - 1] ?? "");
    if (window) {
      const amount = Number(window[1]);
      const span = `${amount} ${UNITS[window[2]][amount === 1 ? 0 : 1]}`;
      return `Because you ${verb} ${thing} ${value === 1 ? "once" : `${value} times`} in the last ${span}`;
    }
    return `Because you ${verb} ${thing} recently`;
  }
  if (namespace === "context" && CONTEXT[rest.join(".")]) {
    return CONTEXT[rest.join(".")].replace("{}", words(value));
  }
  return `Because of ${words(rest.join(".") || path)}: ${words(value)}`;
}

// Status badge -------------------------------------------------------------------------------

function showStatus(state) {
  const badge = document.getElementById("tactful-status");
  badge.dataset.state = state;
  badge.title = STATUS_TEXT[state];
  badge.querySelector(".status__label").textContent = state;
}

// Products: a quick view sends a product_view event (kept on the page without consent). ------

const dialog = document.getElementById("quick-view");

document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-quick-view]");
  if (!link) return;
  event.preventDefault();
  const product = boot.products[link.dataset.quickView];
  tactful.track({ type: "product_view", properties: { category: product.category } });
  for (const card of document.querySelectorAll(`[data-product="${product.key}"]`)) {
    card.dataset.viewed = "";
  }
  dialog.querySelector(".quick-view__image").src = `${STATIC}${product.image.replace(/^storefront\//, "")}`;
  dialog.querySelector(".quick-view__category").textContent = product.category;
  dialog.querySelector(".quick-view__name").textContent = product.name;
  dialog.querySelector(".quick-view__blurb").textContent = product.blurb;
  dialog.querySelector(".quick-view__price").textContent = `€${product.price}`;
  dialog.dataset.product = product.key;
  dialog.querySelector("[data-bought]").hidden = true;
  dialog.showModal();
});

// Buy: the demo's goal. A purchase is an event like any other; with measurement granted it
// counts as a conversion of the `purchase` and `revenue` goals (Admin → Goals → Results).
dialog.querySelector("[data-buy]").addEventListener("click", () => {
  const product = boot.products[dialog.dataset.product];
  tactful.track({ type: "purchase", properties: { product: product.key, category: product.category, revenue: product.price } });
  void tactful.flush();
  dialog.querySelector("[data-bought]").hidden = false;
});

document.querySelectorAll("[data-filter]").forEach((link) => {
  link.addEventListener("click", () => {
    const grid = document.querySelector("[data-catalog]");
    grid.classList.add("is-filtered");
    for (const card of grid.children) {
      card.toggleAttribute("data-match", card.dataset.category === link.dataset.filter);
    }
  });
});

// Consent: Reject all and Accept all are equally easy; so is coming back to change them. -----
// Without JavaScript the banner is a form posted to /privacy/banner; with it, the SDK records the
// same choice (source "banner") without leaving the page.

const banner = document.getElementById("consent-banner");
const consentStatus = document.getElementById("consent-status");
let openedBy = null; // the control that reopened the banner: focus goes back there

banner.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-consent]");
  if (!button) return;
  event.preventDefault();
  const grant = button.dataset.consent === "accept";
  const purposes = Object.fromEntries(
    Object.keys(tactful.consent.current?.purposes ?? boot.consent.purposes)
      .filter((key) => key !== "necessary")
      .map((key) => [key, grant]),
  );
  for (const b of banner.querySelectorAll("[data-consent]")) b.disabled = true;
  const result = await tactful.consent.set(purposes, { source: "banner", control: grant ? "accept-all" : "reject-all" });
  for (const b of banner.querySelectorAll("[data-consent]")) b.disabled = false;
  banner.querySelector(".consent__error").hidden = result.ok;
  if (!result.ok) {
    button.focus();
    return;
  }
  banner.hidden = true;
  consentStatus.textContent = grant ? "Saved: you accepted all purposes." : "Saved: you rejected all purposes.";
  // Back where the visitor was, or to the page's content when the banner came by itself.
  (openedBy ?? document.getElementById("main")).focus({ preventScroll: true });
  openedBy = null;
});

document.querySelector("[data-open-consent]").addEventListener("click", (event) => {
  event.preventDefault();
  openedBy = event.currentTarget;
  banner.hidden = false;
  banner.querySelector("[data-consent]").focus();
});

// Ask again whenever the server says so (a lapsed grant, a new notice, data erased elsewhere).
tactful.consent.onChange((consent) => {
  banner.querySelector("[data-gpc]").hidden = !consent.gpc;
  if ((consent.ask ?? []).length > 0) {
    banner.hidden = false;
  }
});

// Another tab (or the privacy center) may have changed the choice meanwhile.
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") {
    void tactful.consent.get();
  }
});

function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
