/** Consent at the edge: the origin's signed consent token, verified with its public key only.
 *
 * A token (`X-Tactful-Consent` header, else the `tactful_consent` cookie) is a compact JWS,
 * EdDSA over Ed25519, of `{sub, purposes, gpc, cv, iat, exp}`. A missing, malformed, forged or
 * expired one is nobody: the visitor is anonymous. The subject token the origin identifies
 * visitors by (`tactful_subject`, `X-Tactful-Subject`) is signed with a secret the edge does not
 * hold, but it names its subject and consent version in the clear: when it names another
 * subject, or a newer version, the consent token is outdated and only the origin can answer.
 */

import type { Settings } from "./env.js";

export const CONSENT_HEADER = "X-Tactful-Consent";
export const CONSENT_COOKIE = "tactful_consent";
const SUBJECT_HEADER = "X-Tactful-Subject";
const SUBJECT_COOKIE = "tactful_subject";
const TOKEN_TYPE = "tactful-consent+jwt";
// Verified tokens are remembered (by their text) so a visitor's next requests skip the check.
const VERIFIED_MAX = 10_000;
// An unknown key id refetches the JWK set at most this often.
const JWKS_REFRESH_MS = 30_000;

/** What a valid consent token says. */
export interface Claims {
  readonly subjectId: string;
  readonly purposes: Readonly<Record<string, boolean>>;
  readonly gpc: boolean;
  readonly version: number;
  readonly expiresAt: number;
}

/** The consent a request arrives with. */
export type RequestConsent =
  | { readonly kind: "anonymous" }
  | { readonly kind: "subject"; readonly claims: Claims }
  /** A subject token says the consent token is of another subject or an older version. */
  | { readonly kind: "outdated" };

function unbase64url(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

function json(text: string): unknown {
  return JSON.parse(new TextDecoder().decode(unbase64url(text)));
}

export function cookie(request: Request, name: string): string | null {
  const header = request.headers.get("Cookie");
  if (header === null) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** The subject and consent version a Django subject token names (not verified: the edge only
 * compares them with a verified consent token). `<public id>.<version>:<timestamp>:<sig>` */
function subjectTokenNames(token: string): { subjectId: string; version: number } | null {
  const value = token.split(":", 1)[0] as string;
  const dot = value.lastIndexOf(".");
  if (dot <= 0 || !/^\d+$/.test(value.slice(dot + 1))) return null;
  return { subjectId: value.slice(0, dot), version: Number(value.slice(dot + 1)) };
}

interface Jwk {
  readonly kty?: string;
  readonly crv?: string;
  readonly x?: string;
  readonly kid?: string;
}

/** The origin's public keys, by key id; fetched from its JWKS unless pinned by CONSENT_JWKS. */
export class ConsentVerifier {
  private keys = new Map<string, CryptoKey>();
  private loadedAt = 0;
  private readonly verified = new Map<string, Claims>();

  constructor(private readonly settings: Settings) {}

  /** The consent of a request; never throws. */
  async of(request: Request): Promise<RequestConsent> {
    const token = request.headers.get(CONSENT_HEADER) ?? cookie(request, CONSENT_COOKIE);
    const claims = token ? await this.verify(token) : null;
    if (claims === null) return { kind: "anonymous" };
    const subjectToken = cookie(request, SUBJECT_COOKIE) ?? request.headers.get(SUBJECT_HEADER);
    const named = subjectToken ? subjectTokenNames(subjectToken) : null;
    if (
      named !== null &&
      (named.subjectId !== claims.subjectId || named.version > claims.version)
    ) {
      return { kind: "outdated" };
    }
    return { kind: "subject", claims };
  }

  /** The claims of a valid, unexpired token; null for anything else. */
  async verify(token: string): Promise<Claims | null> {
    const nowSeconds = Date.now() / 1000;
    const known = this.verified.get(token);
    if (known !== undefined) return known.expiresAt > nowSeconds ? known : null;
    try {
      const [head, body, signature, extra] = token.split(".");
      if (
        head === undefined ||
        body === undefined ||
        signature === undefined ||
        extra !== undefined
      ) {
        return null;
      }
      const header = json(head) as Record<string, unknown>;
      if (header.alg !== "EdDSA" || header.typ !== TOKEN_TYPE || typeof header.kid !== "string") {
        return null;
      }
      const key = await this.key(header.kid);
      if (key === null) return null;
      const valid = await crypto.subtle.verify(
        "Ed25519",
        key,
        unbase64url(signature),
        new TextEncoder().encode(`${head}.${body}`),
      );
      if (!valid) return null;
      const payload = json(body) as Record<string, unknown>;
      const claims = claimsOf(payload);
      if (claims === null || claims.expiresAt <= nowSeconds) return null;
      if (this.verified.size >= VERIFIED_MAX) this.verified.clear();
      this.verified.set(token, claims);
      return claims;
    } catch {
      return null;
    }
  }

  private async key(kid: string): Promise<CryptoKey | null> {
    const known = this.keys.get(kid);
    if (known !== undefined) return known;
    if (Date.now() - this.loadedAt < JWKS_REFRESH_MS && this.loadedAt !== 0) return null;
    this.loadedAt = Date.now();
    const keys = new Map<string, CryptoKey>();
    for (const jwk of await this.jwks()) {
      if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || !jwk.x || !jwk.kid) continue;
      const key = await crypto.subtle.importKey(
        "jwk",
        { kty: "OKP", crv: "Ed25519", x: jwk.x },
        "Ed25519",
        false,
        ["verify"],
      );
      keys.set(jwk.kid, key);
    }
    this.keys = keys;
    return keys.get(kid) ?? null;
  }

  private async jwks(): Promise<Jwk[]> {
    const text =
      this.settings.jwks ??
      (await (
        await fetch(`${this.settings.origin}/.well-known/jwks.json`, {
          signal: AbortSignal.timeout(this.settings.forwardTimeoutMs),
        })
      ).text());
    const set = JSON.parse(text) as { keys?: unknown };
    return Array.isArray(set.keys) ? (set.keys as Jwk[]) : [];
  }
}

function claimsOf(payload: Record<string, unknown>): Claims | null {
  const { sub, purposes, gpc, cv, exp } = payload;
  if (typeof sub !== "string" || typeof gpc !== "boolean" || typeof cv !== "number") return null;
  if (typeof exp !== "number" || typeof purposes !== "object" || purposes === null) return null;
  for (const granted of Object.values(purposes)) if (typeof granted !== "boolean") return null;
  return {
    subjectId: sub,
    purposes: purposes as Record<string, boolean>,
    gpc,
    version: cv,
    expiresAt: exp,
  };
}
