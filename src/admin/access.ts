import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from "jose";
import { findOperatorByEmail } from "../db/operators";
import type { Env } from "../env";
import { GatewayError } from "../errors";
import type { Operator } from "./operator";
import { operatorOf } from "./operator-store";

/** The header Cloudflare Access adds to every request it lets through to the origin. */
export const ACCESS_JWT_HEADER = "cf-access-jwt-assertion";

type RemoteKeys = ReturnType<typeof createRemoteJWKSet>;

// One key set per team domain, isolate-global so the JWKS is fetched once per isolate (jose
// keeps it 10 minutes and refetches on an unknown `kid`). On Workers jose drops its in-flight
// fetch between calls rather than share it across requests (the same reason as key-store's cache).
const keySets = new Map<string, RemoteKeys>();

/** `team.cloudflareaccess.com` from the var, written with or without https:// and a trailing slash. */
function teamOrigin(domain: string): string {
  const host = domain
    .trim()
    .replace(/^https?:\/\//i, "")
    .replace(/\/+$/, "");
  return `https://${host}`;
}

function keySetFor(origin: string): RemoteKeys {
  let keys = keySets.get(origin);
  if (!keys) {
    keys = createRemoteJWKSet(new URL(`${origin}/cdn-cgi/access/certs`));
    keySets.set(origin, keys);
  }
  return keys;
}

/** True when both Access vars are set: only then is the header looked at. */
export function accessConfigured(env: Env): boolean {
  return Boolean(env.ACCESS_TEAM_DOMAIN?.trim() && env.ACCESS_AUD?.trim());
}

/**
 * jose's errors sorted into what the caller is told: a token that is expired, one that is
 * not valid for this application (signature, key, audience, issuer, algorithm, shape), or a
 * key set that could not be fetched (the fault is ours or Cloudflare's, not the caller's).
 */
function accessError(err: unknown): GatewayError {
  if (err instanceof errors.JWTExpired) {
    return new GatewayError(401, "access_token_expired", "The Cloudflare Access token has expired; sign in again.");
  }
  if (err instanceof errors.JOSEError && err.code !== "ERR_JOSE_GENERIC" && !(err instanceof errors.JWKSTimeout)) {
    return new GatewayError(401, "invalid_access_token", "The Cloudflare Access token is not valid for this gateway.");
  }
  return new GatewayError(503, "access_unavailable", "Cloudflare Access signing keys could not be fetched; try again.");
}

async function verifiedClaims(env: Env, token: string): Promise<JWTPayload> {
  const origin = teamOrigin(env.ACCESS_TEAM_DOMAIN ?? "");
  try {
    const { payload } = await jwtVerify(token, keySetFor(origin), {
      issuer: origin,
      audience: env.ACCESS_AUD?.trim(),
      algorithms: ["RS256"],
      requiredClaims: ["exp"],
    });
    return payload;
  } catch (err) {
    throw accessError(err);
  }
}

/** The operator a verified Access token's `email` is mapped to; 401 unknown_access_identity when none. */
export async function accessOperator(env: Env, token: string): Promise<Operator> {
  const claims = await verifiedClaims(env, token);
  const email = typeof claims.email === "string" ? claims.email : null;
  const row = email === null ? null : await findOperatorByEmail(env.DB, email);
  const operator = row === null ? null : operatorOf(row);
  if (operator === null) {
    throw new GatewayError(401, "unknown_access_identity", "This Cloudflare Access identity is not mapped to an operator of this gateway.");
  }
  return operator;
}
