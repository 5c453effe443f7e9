import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { generateKey, hashKey } from "../../src/auth/key-format";
import { clearKeyCache } from "../../src/auth/key-store";
import { callGateway, chat, mockUpstream, seedKey } from "../helpers/gateway";

const BODY = { model: "llama-3.3-70b", messages: [{ role: "user", content: "hi" }] };

async function expectAuthError(res: Response, code: string, secret?: string): Promise<void> {
  expect(res.status).toBe(401);
  const text = await res.text();
  expect(JSON.parse(text)).toMatchObject({ error: { type: "authentication_error", code } });
  if (secret) expect(text).not.toContain(secret);
}

describe("gateway key authentication", () => {
  let upstreamCalls: ReturnType<typeof mockUpstream>;
  beforeEach(() => {
    clearKeyCache();
    upstreamCalls = mockUpstream(() => Response.json({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    expect(upstreamCalls).toHaveLength(0);
  });

  it("refuses a request without an Authorization header with missing_api_key", async () => {
    const res = await callGateway("/v1/chat/completions", { method: "POST", body: JSON.stringify(BODY) });
    await expectAuthError(res, "missing_api_key");
  });

  it("refuses a truncated key with malformed_api_key and does not echo it", async () => {
    const truncated = generateKey().slice(0, -2);
    await expectAuthError(await chat(truncated, BODY), "malformed_api_key", truncated);
  });

  it("refuses a key whose checksum does not match (a typo) without reading D1", async () => {
    const key = generateKey();
    const typo = `${key.slice(0, 12)}${key[12] === "x" ? "y" : "x"}${key.slice(13)}`;
    const prepare = vi.spyOn(env.DB, "prepare");
    // Control: a well-formed key does reach D1 through this very binding.
    await expectAuthError(await chat(key, BODY), "invalid_api_key", key);
    const readsForWellFormed = prepare.mock.calls.length;
    expect(readsForWellFormed).toBeGreaterThan(0);
    await expectAuthError(await chat(typo, BODY), "malformed_api_key", typo);
    expect(prepare.mock.calls.length).toBe(readsForWellFormed);
  });

  it("refuses a non-Bearer scheme as malformed", async () => {
    const { key } = await seedKey();
    const res = await callGateway("/v1/models", { headers: { authorization: `Basic ${key}` } });
    await expectAuthError(res, "malformed_api_key", key);
  });

  it("refuses a well-formed key that was never issued with invalid_api_key", async () => {
    const key = generateKey();
    await expectAuthError(await chat(key, BODY), "invalid_api_key", key);
  });

  it("refuses a revoked key with api_key_revoked", async () => {
    const { key, keyId } = await seedKey();
    await env.DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ?").bind(new Date().toISOString(), keyId).run();
    await expectAuthError(await chat(key, BODY), "api_key_revoked", key);
  });

  it("refuses an expired key with api_key_expired", async () => {
    const { key } = await seedKey({ expiresAt: new Date(Date.now() - 1000).toISOString() });
    await expectAuthError(await chat(key, BODY), "api_key_expired", key);
  });

  /** The key as a rotation leaves it: `old` is now the previous secret, its grace ending at `graceEnds`. */
  async function replaceSecret(old: { keyId: string }, graceEnds: number, expiresAt: number | null = null): Promise<void> {
    await env.DB.prepare(
      `UPDATE api_keys SET previous_key_hash = key_hash, previous_key_expires_at = ?1, key_hash = ?2, expires_at = ?3 WHERE id = ?4`,
    )
      .bind(
        new Date(graceEnds).toISOString(),
        await hashKey(generateKey()),
        expiresAt === null ? null : new Date(expiresAt).toISOString(),
        old.keyId,
      )
      .run();
  }

  it("refuses a secret that a rotation replaced, once its grace period has ended, with api_key_rotated", async () => {
    const seeded = await seedKey();
    await replaceSecret(seeded, Date.now() - 1000);
    await expectAuthError(await chat(seeded.key, BODY), "api_key_rotated", seeded.key);
  });

  it("refuses a replaced secret with api_key_expired when the key itself expired before the secret's grace period ended", async () => {
    const seeded = await seedKey();
    await replaceSecret(seeded, Date.now() - 1000, Date.now() - 2000);
    await expectAuthError(await chat(seeded.key, BODY), "api_key_expired", seeded.key);
  });

  it("refuses a replaced secret with api_key_rotated when its grace period ended before the key expired", async () => {
    const seeded = await seedKey();
    await replaceSecret(seeded, Date.now() - 2000, Date.now() - 1000);
    await expectAuthError(await chat(seeded.key, BODY), "api_key_rotated", seeded.key);
  });

  it("refuses a replaced secret still in its grace period with api_key_expired once the key itself has expired", async () => {
    const seeded = await seedKey();
    await replaceSecret(seeded, Date.now() + 60_000, Date.now() - 1000);
    await expectAuthError(await chat(seeded.key, BODY), "api_key_expired", seeded.key);
  });

  it("accepts a key whose expiry is still ahead, and is case-insensitive about the Bearer scheme", async () => {
    vi.restoreAllMocks();
    upstreamCalls = [];
    const calls = mockUpstream(() => Response.json({ object: "list", data: [] }));
    const { key } = await seedKey({ expiresAt: new Date(Date.now() + 60_000).toISOString() });
    const res = await callGateway("/v1/models", { headers: { authorization: `bearer ${key}` } });
    expect(res.status).toBe(200);
    expect(calls).toHaveLength(1);
  });

  it("does not meter a request that failed authentication (no team to bill)", async () => {
    const res = await chat(generateKey(), BODY);
    expect(res.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM usage_events WHERE request_id = ?")
      .bind(res.headers.get("x-request-id"))
      .first<{ n: number }>();
    expect(row?.n).toBe(0);
  });
});

describe("routes outside /v1", () => {
  it("answers /healthz without a key", async () => {
    const res = await callGateway("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("answers an unknown path outside /v1 with 404 in the OpenAI error shape", async () => {
    const res = await callGateway("/nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "unknown_route", type: "not_found_error", param: null } });
  });
});
