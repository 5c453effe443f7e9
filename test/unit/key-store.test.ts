import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { displayPrefix, generateKey, hashKey } from "../../src/auth/key-format";
import { clearKeyCache, forgetKey, KEY_CACHE_TTL_MS, lookupKey } from "../../src/auth/key-store";
import { insertKeyStatement } from "../../src/db/keys";
import { seedKey } from "../helpers/gateway";

const NOW = Date.UTC(2026, 2, 1, 10, 0, 0);

beforeEach(() => clearKeyCache());
afterEach(() => vi.restoreAllMocks());

async function revoke(keyId: string): Promise<void> {
  await env.DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ?").bind(new Date(NOW).toISOString(), keyId).run();
}

describe("key store", () => {
  it("serves a found key from the isolate cache within the TTL, even after its row changed", async () => {
    const { keyHash, keyId } = await seedKey();
    expect(await lookupKey(env.DB, keyHash, NOW)).toMatchObject({ id: keyId, revoked: false });

    await revoke(keyId);

    expect(await lookupKey(env.DB, keyHash, NOW + 4_999)).toMatchObject({ id: keyId, revoked: false });
  });

  it("sees a revocation once KEY_CACHE_TTL_MS has passed (the documented bound)", async () => {
    const { keyHash, keyId } = await seedKey();
    await lookupKey(env.DB, keyHash, NOW);
    await revoke(keyId);

    expect(KEY_CACHE_TTL_MS).toBe(5_000);
    expect(await lookupKey(env.DB, keyHash, NOW + KEY_CACHE_TTL_MS)).toMatchObject({ id: keyId, revoked: true });
  });

  it("reads D1 at once on the next lookup after forgetKey (the isolate that revoked)", async () => {
    const { keyHash, keyId } = await seedKey();
    await lookupKey(env.DB, keyHash, NOW);
    await revoke(keyId);

    forgetKey(keyHash);

    expect(await lookupKey(env.DB, keyHash, NOW + 1)).toMatchObject({ id: keyId, revoked: true });
  });

  it("asks D1 only once for repeated lookups within the TTL", async () => {
    const { keyHash } = await seedKey();
    const prepare = vi.spyOn(env.DB, "prepare");

    await lookupKey(env.DB, keyHash, NOW);
    await lookupKey(env.DB, keyHash, NOW + 1_000);
    await lookupKey(env.DB, keyHash, NOW + 4_999);

    expect(prepare).toHaveBeenCalledTimes(1);
  });

  it("does not cache an unknown hash, so a key minted right after a miss works at once", async () => {
    const { teamId } = await seedKey();
    const key = generateKey();
    const keyHash = await hashKey(key);

    expect(await lookupKey(env.DB, keyHash, NOW)).toBeNull();

    const createdAt = new Date(NOW).toISOString();
    await insertKeyStatement(env.DB, {
      id: "key_minted_after_miss",
      teamId,
      name: "fresh",
      keyHash,
      prefix: displayPrefix(key),
      models: null,
      expiresAt: null,
      metadata: {},
      createdAt,
    }).run();

    expect(await lookupKey(env.DB, keyHash, NOW + 1)).toMatchObject({ id: "key_minted_after_miss", teamId, revoked: false });
  });

  it("parses the models JSON into an array and expires_at into epoch ms", async () => {
    const { keyHash, keyId, teamId, key } = await seedKey({
      models: ["llama-3.3-70b", "qwen-3-32b"],
      expiresAt: "2027-01-01T00:00:00.000Z",
    });

    const record = await lookupKey(env.DB, keyHash, NOW);

    expect(record).toEqual({
      id: keyId,
      teamId,
      prefix: displayPrefix(key),
      models: ["llama-3.3-70b", "qwen-3-32b"],
      expiresAt: Date.UTC(2027, 0, 1),
      revoked: false,
      // Neither the key nor its team has a budget or a limit: no Durable Object is called for it.
      limits: null,
    });
  });

  it("reads a key with no allowlist and no expiry as every model, never expiring", async () => {
    const { keyHash } = await seedKey();

    expect(await lookupKey(env.DB, keyHash, NOW)).toMatchObject({ models: null, expiresAt: null });
  });
});
