import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { timingSafeEqual } from "hono/utils/buffer";
import type { Operator } from "../admin/operator";
import { fromBase64url, toBase64url } from "../base64url";
import type { Env } from "../env";

/**
 * The dashboard's session: a cookie holding `payload.signature`, where the payload names the
 * operator (id, role, teams: never the token), an expiry and a random nonce, and the signature
 * is HMAC-SHA256 under a key from DASHBOARD_SESSION_SECRET, else derived from ADMIN_TOKEN by HKDF
 * (so rotating ADMIN_TOKEN signs every session out). The CSRF token is the HMAC of the nonce.
 */
export const SESSION_COOKIE = "tgw_dashboard";
export const SESSION_TTL_SECONDS = 8 * 3600;
const COOKIE_PATH = "/dashboard";

export interface Session {
  operator: Operator;
  /** Seconds since the epoch. */
  exp: number;
  nonce: string;
}

const encoder = new TextEncoder();

/** Sessions need a key: DASHBOARD_SESSION_SECRET, or ADMIN_TOKEN to derive one from. */
export function sessionsConfigured(env: Env): boolean {
  return Boolean(env.DASHBOARD_SESSION_SECRET || env.ADMIN_TOKEN);
}

/** null when neither secret is configured: the dashboard is then disabled, like the admin API. */
async function signingKey(env: Env): Promise<CryptoKey | null> {
  const hmac = { name: "HMAC", hash: "SHA-256" };
  if (env.DASHBOARD_SESSION_SECRET) {
    return crypto.subtle.importKey("raw", encoder.encode(env.DASHBOARD_SESSION_SECRET), hmac, false, ["sign"]);
  }
  if (!env.ADMIN_TOKEN) return null;
  const base = await crypto.subtle.importKey("raw", encoder.encode(env.ADMIN_TOKEN), "HKDF", false, ["deriveKey"]);
  const params = { name: "HKDF", hash: "SHA-256", salt: encoder.encode("tensoras-gateway"), info: encoder.encode("dashboard-session-v1") };
  return crypto.subtle.deriveKey(params, base, { ...hmac, length: 256 }, false, ["sign"]);
}

async function sign(key: CryptoKey, text: string): Promise<string> {
  return toBase64url(new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(text))));
}

export async function startSession(c: Context, env: Env, operator: Operator, now = Date.now()): Promise<void> {
  const key = await signingKey(env);
  if (key === null) throw new Error("no session key");
  const session: Session = {
    operator,
    exp: Math.floor(now / 1000) + SESSION_TTL_SECONDS,
    nonce: toBase64url(crypto.getRandomValues(new Uint8Array(18))),
  };
  const payload = toBase64url(encoder.encode(JSON.stringify(session)));
  setCookie(c, SESSION_COOKIE, `${payload}.${await sign(key, payload)}`, {
    httpOnly: true,
    secure: true,
    sameSite: "Strict",
    path: COOKIE_PATH,
    maxAge: SESSION_TTL_SECONDS,
  });
}

export function endSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: COOKIE_PATH, secure: true, httpOnly: true, sameSite: "Strict" });
}

function isSession(value: unknown): value is Session {
  if (typeof value !== "object" || value === null) return false;
  const s = value as Partial<Session>;
  return (
    typeof s.exp === "number" && typeof s.nonce === "string" && typeof s.operator?.id === "string" && Array.isArray(s.operator.teamIds)
  );
}

/** The cookie's session when its signature holds and it has not expired; else null. */
export async function readSession(c: Context, env: Env, now = Date.now()): Promise<Session | null> {
  const cookie = getCookie(c, SESSION_COOKIE);
  const key = await signingKey(env);
  if (!cookie || key === null) return null;
  const [payload, signature, extra] = cookie.split(".");
  if (!payload || !signature || extra !== undefined) return null;
  if (!(await timingSafeEqual(signature, await sign(key, payload)))) return null;
  const bytes = fromBase64url(payload);
  if (bytes === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
  if (!isSession(parsed) || parsed.exp * 1000 <= now) return null;
  return parsed;
}

/** The session's CSRF token: a separate MAC of its nonce, so the cookie's value is never in a page. */
export async function csrfToken(env: Env, session: Session): Promise<string> {
  const key = await signingKey(env);
  if (key === null) throw new Error("no session key");
  return sign(key, `csrf.${session.nonce}`);
}

export async function csrfValid(env: Env, session: Session, sent: unknown): Promise<boolean> {
  if (typeof sent !== "string" || sent.length === 0) return false;
  return timingSafeEqual(sent, await csrfToken(env, session));
}
