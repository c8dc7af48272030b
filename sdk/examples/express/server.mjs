// A storefront on another site than Tactful, in Express: it renders the visitor's decisions on
// the server (first paint personalized, works without JavaScript), and the SDK keeps them live.
//
//   TACTFUL_URL=https://tactful.example.com PORT=3000 node examples/express/server.mjs
//
// Tactful must list this site in TACTFUL_CORS_ALLOWED_ORIGINS. The visitor is identified to
// Tactful by the signed subject token (header identity), which this site keeps in its own
// first-party cookie: third-party cookies are not needed, so every browser works.
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

import express from "express";

const TACTFUL_URL = (process.env.TACTFUL_URL ?? "http://127.0.0.1:8000").replace(/\/+$/, "");
const PORT = Number(process.env.PORT ?? 3000);
const HOST = process.env.HOST ?? "127.0.0.1";
// A decision is worth waiting for this long before the page renders defaults.
const TIMEOUT_MS = Number(process.env.TACTFUL_TIMEOUT_MS ?? 300);
const TOKEN_COOKIE = "tactful_token";
const PLACEMENTS = ["home-hero", "free-shipping-banner"];
// What the page shows when Tactful cannot answer in time: each placement's own default.
const DEFAULTS = { "home-hero": { headline: "Gear for every day" }, "free-shipping-banner": false };
// The SDK's browser bundle, from the installed package (npm install @tactful/sdk).
const SDK_DIST = dirname(fileURLToPath(import.meta.resolve("@tactful/sdk")));

/** Ask Tactful, server-side, for this visitor's decisions and consent; never fails the page. */
export async function tactfulBootstrap(request, context) {
  const token = request.cookies[TOKEN_COOKIE] ?? null;
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  if (token) headers["X-Tactful-Subject"] = token;
  // The visitor's Global Privacy Control applies to what Tactful decides for them.
  if (request.get("Sec-GPC") === "1") headers["Sec-GPC"] = "1";
  const ask = (path, init) =>
    fetch(`${TACTFUL_URL}${path}`, { ...init, headers, signal: AbortSignal.timeout(TIMEOUT_MS) }).then((r) =>
      r.ok ? r.json() : Promise.reject(new Error(`${path}: HTTP ${r.status}`)),
    );
  try {
    const [decided, consent] = await Promise.all([
      ask("/api/v1/decide", { method: "POST", body: JSON.stringify({ placements: PLACEMENTS, context }) }),
      ask("/api/v1/consent", { method: "GET" }),
    ]);
    return { decisions: decided.decisions, revision: decided.revision, consent, defaults: DEFAULTS, subjectToken: token };
  } catch {
    // Tactful is slow or away: the defaults now, the SDK catches up in the browser.
    return { defaults: DEFAULTS, subjectToken: token };
  }
}

function cookies(header = "") {
  return Object.fromEntries(
    header
      .split(";")
      .map((part) => part.trim().split("="))
      .filter(([name, value]) => name && value !== undefined)
      .map(([name, value]) => [name, decodeURIComponent(value)]),
  );
}

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
// JSON inside <script>: nothing in it may close the element.
const scriptJson = (value) => JSON.stringify(value).replace(/</g, "\\u003c");

export const app = express();
app.disable("x-powered-by");
app.use((request, _response, next) => {
  request.cookies = cookies(request.get("Cookie"));
  next();
});
app.use("/sdk", express.static(SDK_DIST));

app.get("/", async (request, response) => {
  const campaign = typeof request.query.utm_campaign === "string" ? request.query.utm_campaign : null;
  const context = { page: "home", ...(campaign ? { utm_campaign: campaign } : {}) };
  const boot = await tactfulBootstrap(request, context);
  const hero = boot.decisions?.["home-hero"]?.value ?? DEFAULTS["home-hero"];
  const shipping = boot.decisions?.["free-shipping-banner"]?.value ?? DEFAULTS["free-shipping-banner"];
  response.set("Cache-Control", "no-store").type("html").send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Example shop</title></head>
<body>
  <p id="shipping"${shipping === true ? "" : " hidden"}>Free shipping this week</p>
  <h1 id="headline">${escapeHtml(hero.headline)}</h1>
  <p>Live: <span id="state">${boot.decisions ? "rendered" : "default"}</span></p>
  <button id="accept">Accept all</button> <button id="reject">Reject all</button>
  <button class="product" data-category="shoes">Trail shoes</button>
  <script id="tactful-bootstrap" type="application/json">${scriptJson(boot)}</script>
  <script type="module">
    import { createClient } from "/sdk/index.js";
    const boot = JSON.parse(document.getElementById("tactful-bootstrap").textContent);
    const tactful = createClient({
      baseUrl: ${scriptJson(TACTFUL_URL)},
      identity: "header",
      bootstrap: boot,
      // The first choice creates the visitor: keep their token in this site's own cookie.
      onSubjectToken: (token) => fetch("/tactful-token", { method: "POST", body: token }),
      onStateChange: (state) => (document.getElementById("state").textContent = state),
    });
    window.tactful = tactful;
    tactful.subscribe(${scriptJson(PLACEMENTS)}, ${scriptJson(context)}, ({ decisions }) => {
      document.getElementById("headline").textContent = decisions["home-hero"]?.value?.headline ?? "";
      document.getElementById("shipping").hidden = decisions["free-shipping-banner"]?.value !== true;
    });
    const choose = (grant) => () => tactful.consent.set(
      { personalization: grant, measurement: grant, advertising: grant },
      { source: "banner", control: grant ? "accept-all" : "reject-all" },
    );
    document.getElementById("accept").onclick = choose(true);
    document.getElementById("reject").onclick = choose(false);
    for (const product of document.querySelectorAll(".product")) {
      product.onclick = () => tactful.track({ type: "product_view", properties: { category: product.dataset.category } });
    }
  </script>
</body></html>`);
});

// The token is Tactful's signed, opaque subject token; this site only keeps it for the visitor.
app.post("/tactful-token", express.text({ limit: "1kb" }), (request, response) => {
  const token = typeof request.body === "string" ? request.body.trim() : "";
  if (!/^[\w.:-]{1,300}$/.test(token)) {
    response.status(400).send("Not a subject token.");
    return;
  }
  response
    .cookie(TOKEN_COOKIE, token, {
      httpOnly: true,
      sameSite: "lax",
      secure: request.secure,
      maxAge: 395 * 24 * 3600 * 1000,
    })
    .status(204)
    .end();
});

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  app.listen(PORT, HOST, () => console.log(`Example shop on http://${HOST}:${PORT}/`));
}
