import { env } from "cloudflare:test";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ADMIN_TOKEN, adminJson, expectAdminError } from "../helpers/admin";
import { callGateway, mockUpstream, type UpstreamCall } from "../helpers/gateway";

// As vitest.config.ts sets them for the worker.
const TEAM_DOMAIN = env.ACCESS_TEAM_DOMAIN ?? "";
const AUD = env.ACCESS_AUD ?? "";
const ISSUER = `https://${TEAM_DOMAIN}`;
const CERTS_URL = `${ISSUER}/cdn-cgi/access/certs`;

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;
let signing: KeyPair;
let stranger: KeyPair;
let jwks: { keys: JWK[] };

beforeAll(async () => {
  signing = await generateKeyPair("RS256", { extractable: true });
  stranger = await generateKeyPair("RS256", { extractable: true });
  jwks = { keys: [{ ...(await exportJWK(signing.publicKey)), kid: "access-key-1", alg: "RS256", use: "sig" }] };
});

afterEach(() => vi.restoreAllMocks());

/** Cloudflare's certs endpoint, as the mocked outside world; anything else is an error. */
function serveJwks(status = 200): UpstreamCall[] {
  return mockUpstream((call) =>
    call.url === CERTS_URL
      ? Response.json(status === 200 ? jwks : { error: "down" }, { status })
      : new Response("unexpected", { status: 599 }),
  );
}

async function accessToken(
  claims: Record<string, unknown>,
  options: { key?: KeyPair; kid?: string; audience?: string; issuer?: string; expiresAt?: number } = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", kid: options.kid ?? "access-key-1" })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUD)
    .setIssuedAt()
    .setExpirationTime(options.expiresAt ?? Math.floor(Date.now() / 1000) + 300)
    .sign((options.key ?? signing).privateKey);
}

function withAccess(method: string, path: string, assertion: string, body?: unknown): Promise<Response> {
  return callGateway(`/admin${path}`, {
    method,
    headers: { "cf-access-jwt-assertion": assertion },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

let counter = 0;
async function operatorWithEmail(role: string, email: string) {
  return adminJson<{ id: string; name: string }>("POST", "/operators", { name: `access ${++counter}`, role, email });
}

describe("Cloudflare Access sign-in", () => {
  // First in the file: the key set is cached per isolate once it has been fetched.
  it("answers 503 access_unavailable while the team's certs cannot be fetched", async () => {
    await operatorWithEmail("viewer", "down@example.com");
    serveJwks(500);
    await expectAdminError(await withAccess("GET", "/prices", await accessToken({ email: "down@example.com" })), 503, {
      code: "access_unavailable",
    });
  });

  it("acts as the operator mapped to a valid token's email, with that operator's role", async () => {
    const calls = serveJwks();
    const viewer = await operatorWithEmail("viewer", "finance@example.com");
    const token = await accessToken({ email: "Finance@Example.com" });
    expect((await withAccess("GET", "/prices", token)).status).toBe(200);
    expect(calls.map((call) => call.url)).toEqual([CERTS_URL]);
    await expectAdminError(await withAccess("POST", "/teams", token, { name: "nope" }), 403, { code: "forbidden" });

    const owner = await operatorWithEmail("owner", "lead@example.com");
    const res = await withAccess("POST", "/teams", await accessToken({ email: "lead@example.com" }), { name: `by access ${counter}` });
    expect(res.status).toBe(201);
    const team = (await res.json()) as { id: string };
    const audit = await adminJson<{ data: { actor_id: string; actor_name: string }[] }>("GET", `/audit?target_id=${team.id}`);
    expect(audit.data).toEqual([expect.objectContaining({ actor_id: owner.id, actor_name: owner.name })]);
    expect(viewer.id).not.toBe(owner.id);
  });

  it("refuses an expired token as 401 access_token_expired", async () => {
    serveJwks();
    await operatorWithEmail("viewer", "late@example.com");
    const token = await accessToken({ email: "late@example.com" }, { expiresAt: Math.floor(Date.now() / 1000) - 120 });
    await expectAdminError(await withAccess("GET", "/prices", token), 401, { code: "access_token_expired", type: "authentication_error" });
  });

  it("refuses a token for another application (wrong audience) or from another team (wrong issuer) as 401 invalid_access_token", async () => {
    serveJwks();
    await operatorWithEmail("viewer", "aud@example.com");
    const wrongAud = await accessToken({ email: "aud@example.com" }, { audience: "another-application" });
    await expectAdminError(await withAccess("GET", "/prices", wrongAud), 401, { code: "invalid_access_token" });
    const wrongIssuer = await accessToken({ email: "aud@example.com" }, { issuer: "https://other-team.cloudflareaccess.com" });
    await expectAdminError(await withAccess("GET", "/prices", wrongIssuer), 401, { code: "invalid_access_token" });
  });

  it("refuses a token signed by a key that is not in the team's key set as 401 invalid_access_token", async () => {
    serveJwks();
    await operatorWithEmail("owner", "forger@example.com");
    const unknownKid = await accessToken({ email: "forger@example.com" }, { key: stranger, kid: "not-in-the-set" });
    await expectAdminError(await withAccess("GET", "/prices", unknownKid), 401, { code: "invalid_access_token" });
    const sameKid = await accessToken({ email: "forger@example.com" }, { key: stranger });
    await expectAdminError(await withAccess("GET", "/prices", sameKid), 401, { code: "invalid_access_token" });
  });

  it("refuses a token that is not RS256-signed (alg none) as 401 invalid_access_token", async () => {
    serveJwks();
    await operatorWithEmail("owner", "none@example.com");
    const encode = (value: object) => btoa(JSON.stringify(value)).replaceAll("=", "").replaceAll("+", "-").replaceAll("/", "_");
    const unsigned = `${encode({ alg: "none" })}.${encode({ email: "none@example.com", aud: AUD, iss: ISSUER, exp: Math.floor(Date.now() / 1000) + 60 })}.`;
    await expectAdminError(await withAccess("GET", "/prices", unsigned), 401, { code: "invalid_access_token" });
  });

  it("refuses a valid token whose email no live operator has as 401 unknown_access_identity", async () => {
    serveJwks();
    await expectAdminError(await withAccess("GET", "/prices", await accessToken({ email: "stranger@example.com" })), 401, {
      code: "unknown_access_identity",
    });
    await expectAdminError(await withAccess("GET", "/prices", await accessToken({ common_name: "service-token" })), 401, {
      code: "unknown_access_identity",
    });
    const gone = await operatorWithEmail("viewer", "gone@example.com");
    await adminJson("DELETE", `/operators/${gone.id}`);
    await expectAdminError(await withAccess("GET", "/prices", await accessToken({ email: "gone@example.com" })), 401, {
      code: "unknown_access_identity",
    });
  });

  it("uses the bearer token when a request carries both (a CLI behind Access)", async () => {
    serveJwks();
    const res = await callGateway("/admin/teams", {
      method: "GET",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "cf-access-jwt-assertion": "not-a-jwt" },
    });
    expect(res.status).toBe(200);
  });
});
