import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BOOTSTRAP_OWNER } from "../../src/admin/operator";
import { MAX_GRACE_SECONDS } from "../../src/admin/schemas";
import { auditStatement } from "../../src/admin/views";
import { displayPrefix, hashKey, isWellFormedKey } from "../../src/auth/key-format";
import { clearKeyCache, forgetKey, KEY_CACHE_TTL_MS, lookupKey } from "../../src/auth/key-store";
import { rotateKeyStatement } from "../../src/db/keys";
import { adminCall, allPages, captureLogs, expectAdminError, expectNoSecrets, secretForms } from "../helpers/admin";
import { callGateway, mockUpstream, waitForUsage } from "../helpers/gateway";

interface Key {
  id: string;
  team_id: string;
  name: string;
  prefix: string;
  models: string[] | null;
  expires_at: string | null;
  metadata: Record<string, unknown>;
  status: "active" | "expired" | "revoked";
  created_at: string;
  updated_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  previous_key_expires_at: string | null;
}
type CreatedKey = Key & { key: string };

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const KEY_FIELDS = [
  "budget",
  "created_at",
  "expires_at",
  "id",
  "last_used_at",
  "limits",
  "metadata",
  "models",
  "name",
  "prefix",
  "previous_key_expires_at",
  "revoked_at",
  "status",
  "team_id",
  "updated_at",
];

// Every plaintext key this file has seen, and every admin response body and log line
// of the current test: none may contain a plaintext key or its SHA-256.
const plaintexts = new Set<string>();
let bodies: { where: string; text: string }[] = [];
let logs: string[] = [];

beforeEach(() => {
  clearKeyCache();
  logs = captureLogs();
  bodies = [];
  mockUpstream((call) => {
    const model = new URL(call.url).pathname.split("/v1/models/")[1];
    return Response.json(model ? { id: model, object: "model" } : { object: "list", data: [{ id: "llama-3.3-70b", object: "model" }] });
  });
});

afterEach(async () => {
  vi.restoreAllMocks();
  const forms = await secretForms(plaintexts);
  for (const { where, text } of bodies) expectNoSecrets(text, forms, where);
  for (const line of logs) expectNoSecrets(line, forms, `log line ${line.slice(0, 80)}`);
});

/**
 * One admin call, its body kept for the secrets check. A `key` field (create and
 * rotate) must hold a well-formed plaintext that appears exactly there, once.
 */
async function admin<T = Key>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T; res: Response }> {
  const res = await adminCall(method, path, body);
  const text = await res.text();
  const parsed = JSON.parse(text) as T & { key?: string };
  if (parsed !== null && typeof parsed === "object" && "key" in parsed) {
    const secret = parsed.key as string;
    expect(isWellFormedKey(secret)).toBe(true);
    expect(text.split(secret)).toHaveLength(2);
    plaintexts.add(secret);
    const { key: _shownOnce, ...rest } = parsed;
    bodies.push({ where: `${method} ${path} (outside \`key\`)`, text: JSON.stringify(rest) });
  } else {
    bodies.push({ where: `${method} ${path}`, text });
  }
  return { status: res.status, body: parsed, res: new Response(text, res) };
}

let teamCount = 0;
async function newTeam(): Promise<string> {
  const { status, body } = await admin<{ id: string }>("POST", "/teams", { name: `Keys team ${++teamCount} ${crypto.randomUUID()}` });
  expect(status).toBe(201);
  return body.id;
}

async function newKey(teamId: string, body: Record<string, unknown> = {}): Promise<CreatedKey> {
  const created = await admin<CreatedKey>("POST", `/teams/${teamId}/keys`, { name: "ci", ...body });
  expect(created.status).toBe(201);
  return created.body;
}

/** A data-plane request with a gateway key, read to the end (the meter settles when the body is read). */
async function useKey(secret: string, path = "/v1/models"): Promise<Response> {
  const res = await callGateway(path, { key: secret });
  return new Response(await res.text(), res);
}

async function expectRefused(secret: string, code: string, path = "/v1/models"): Promise<void> {
  const res = await useKey(secret, path);
  expect(res.status).toBe(401);
  expect(await res.json()).toMatchObject({ error: { type: "authentication_error", code } });
}

async function sleepUntil(iso: string): Promise<void> {
  const wait = Date.parse(iso) - Date.now() + 50;
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

/** How often the data plane read a key from D1 (not from the isolate cache). */
function countKeyReads(): () => number {
  const prepare = vi.spyOn(env.DB, "prepare");
  return () => prepare.mock.calls.filter(([sql]) => sql.includes("previous_key_hash = ?1")).length;
}

describe("creating and reading keys", () => {
  it("mints a key with 201: the plaintext `key` shown once, plus the key's public view with status active", async () => {
    const teamId = await newTeam();
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const { status, body } = await admin<CreatedKey>("POST", `/teams/${teamId}/keys`, {
      name: "prod",
      models: ["llama-3.3-70b"],
      expires_at: expiresAt,
      metadata: { owner: "search" },
    });
    expect(status).toBe(201);
    expect(body).toEqual({
      id: expect.stringMatching(/^key_[0-9a-f-]{36}$/),
      team_id: teamId,
      name: "prod",
      prefix: displayPrefix(body.key),
      models: ["llama-3.3-70b"],
      expires_at: expiresAt,
      metadata: { owner: "search" },
      budget: null,
      limits: null,
      status: "active",
      created_at: expect.stringMatching(ISO),
      updated_at: body.created_at,
      last_used_at: null,
      revoked_at: null,
      previous_key_expires_at: null,
      key: expect.stringMatching(/^tgw_/),
    });
    // Stored only as its SHA-256: no column holds the plaintext.
    const row = await env.DB.prepare("SELECT * FROM api_keys WHERE id = ?").bind(body.id).first<Record<string, unknown>>();
    expect(row?.key_hash).toBe(await hashKey(body.key));
    expect(JSON.stringify(row)).not.toContain(body.key);
    expect((await useKey(body.key)).status).toBe(200);
  });

  it("defaults models to null (every model) and metadata to {}, and never expires without expires_at", async () => {
    const key = await newKey(await newTeam());
    expect(key).toMatchObject({ models: null, metadata: {}, expires_at: null, status: "active" });
    expect((await useKey(key.key, "/v1/models/any-model-at-all")).status).toBe(200);
  });

  it("stores an expires_at sent with a UTC offset as the same instant in UTC, on create and on PATCH", async () => {
    const key = await newKey(await newTeam(), { expires_at: "2031-06-01T12:00:00+02:00" });
    expect(key.expires_at).toBe("2031-06-01T10:00:00.000Z");
    const patched = await admin("PATCH", `/keys/${key.id}`, { expires_at: "2032-01-01T00:00:00-05:30" });
    expect(patched.body.expires_at).toBe("2032-01-01T05:30:00.000Z");
    expect((await admin("GET", `/keys/${key.id}`)).body.expires_at).toBe("2032-01-01T05:30:00.000Z");
  });

  it("lists a team's keys oldest first and gets one key: the same view, with status and last_used_at, no secret or hash", async () => {
    const teamId = await newTeam();
    const first = await newKey(teamId, { name: "first" });
    const second = await newKey(teamId, { name: "second" });
    await newKey(await newTeam(), { name: "another team's" });
    const list = await admin<{ data: Key[]; next_cursor: string | null }>("GET", `/teams/${teamId}/keys`);
    expect(list.status).toBe(200);
    expect(list.body.next_cursor).toBeNull();
    expect(list.body.data.map((k) => k.name)).toEqual(["first", "second"]);
    for (const key of list.body.data) expect(Object.keys(key).sort()).toEqual(KEY_FIELDS);
    const { key: _secret, ...firstView } = first;
    expect(list.body.data[0]).toEqual(firstView);
    const one = await admin("GET", `/keys/${second.id}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(list.body.data[1]);
  });

  it("enforces the models a key was created with", async () => {
    const key = await newKey(await newTeam(), { models: ["llama-3.3-70b"] });
    expect((await useKey(key.key, "/v1/models/llama-3.3-70b")).status).toBe(200);
    const res = await useKey(key.key, "/v1/models/qwen-3-32b");
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: "model_not_allowed" } });
  });

  it("fills last_used_at from the ledger once a request went through the queue consumer", async () => {
    const key = await newKey(await newTeam());
    const res = await useKey(key.key);
    expect(res.status).toBe(200);
    const record = await waitForUsage(res.headers.get("x-request-id") as string);
    expect(record.key_id).toBe(key.id);
    const view = (await admin("GET", `/keys/${key.id}`)).body;
    expect(view.last_used_at).toBe(record.started_at);
    const listed = (await admin<{ data: Key[] }>("GET", `/teams/${key.team_id}/keys`)).body.data[0];
    expect(listed?.last_used_at).toBe(record.started_at);
    // The log capture sees the worker: the usage log line names the key by id only.
    expect(logs.some((line) => line.includes(key.id))).toBe(true);
  });
});

describe("status", () => {
  it("reports expired once expires_at has passed, and the gateway refuses the key with api_key_expired", async () => {
    const key = await newKey(await newTeam(), { expires_at: new Date(Date.now() + 1_000).toISOString() });
    expect(key.status).toBe("active");
    expect((await useKey(key.key)).status).toBe(200);
    await sleepUntil(key.expires_at as string);
    expect((await admin("GET", `/keys/${key.id}`)).body.status).toBe("expired");
    expect((await admin<{ data: Key[] }>("GET", `/teams/${key.team_id}/keys`)).body.data[0]?.status).toBe("expired");
    await expectRefused(key.key, "api_key_expired");
  });

  it("makes an expired key active again when PATCH moves expires_at into the future, at once on this isolate", async () => {
    const key = await newKey(await newTeam(), { expires_at: new Date(Date.now() + 1_000).toISOString() });
    await sleepUntil(key.expires_at as string);
    await expectRefused(key.key, "api_key_expired");
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const patched = await admin("PATCH", `/keys/${key.id}`, { expires_at: later });
    expect(patched.body).toMatchObject({ status: "active", expires_at: later });
    expect((await useKey(key.key)).status).toBe(200);
  });

  it("reports revoked after DELETE, which keeps the key for the record", async () => {
    const key = await newKey(await newTeam());
    const revoked = await admin("DELETE", `/keys/${key.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: key.id, status: "revoked", revoked_at: expect.stringMatching(ISO) });
    const after = await admin("GET", `/keys/${key.id}`);
    expect(after.status).toBe(200);
    expect(after.body).toEqual(revoked.body);
    expect((await admin<{ data: Key[] }>("GET", `/teams/${key.team_id}/keys`)).body.data.map((k) => k.status)).toEqual(["revoked"]);
  });
});

describe("PATCH /admin/keys/{key_id}", () => {
  it("changes name, models, expires_at and metadata, and leaves fields it was not sent alone", async () => {
    const key = await newKey(await newTeam(), { name: "old", models: ["a"], metadata: { v: 1 } });
    const expiresAt = new Date(Date.now() + 7_200_000).toISOString();
    const patched = await admin("PATCH", `/keys/${key.id}`, { name: "new", models: ["b", "c"], expires_at: expiresAt, metadata: { v: 2 } });
    expect(patched.status).toBe(200);
    const { key: _secret, ...view } = key;
    expect(patched.body).toEqual({
      ...view,
      name: "new",
      models: ["b", "c"],
      expires_at: expiresAt,
      metadata: { v: 2 },
      updated_at: expect.stringMatching(ISO),
    });
    expect((await admin("GET", `/keys/${key.id}`)).body).toEqual(patched.body);
    expect((await admin("PATCH", `/keys/${key.id}`, { name: "newer" })).body).toMatchObject({
      name: "newer",
      models: ["b", "c"],
      expires_at: expiresAt,
      metadata: { v: 2 },
    });
    expect((await admin("PATCH", `/keys/${key.id}`, { models: null, expires_at: null })).body).toMatchObject({
      models: null,
      expires_at: null,
    });
  });

  it("narrows a key's models at once on this isolate, although the key was cached a moment before", async () => {
    const key = await newKey(await newTeam());
    const keyReads = countKeyReads();
    expect((await useKey(key.key, "/v1/models/qwen-3-32b")).status).toBe(200);
    expect((await useKey(key.key, "/v1/models/qwen-3-32b")).status).toBe(200);
    expect(keyReads()).toBe(1);
    await admin("PATCH", `/keys/${key.id}`, { models: ["llama-3.3-70b"] });
    expect((await useKey(key.key, "/v1/models/qwen-3-32b")).status).toBe(403);
    expect((await useKey(key.key, "/v1/models/llama-3.3-70b")).status).toBe(200);
  });
});

describe("rotation", () => {
  it("rotate with grace_seconds=60 answers 201 with a new secret on the same key id with a new prefix, and both secrets authenticate", async () => {
    const key = await newKey(await newTeam());
    expect((await useKey(key.key)).status).toBe(200);
    const before = Date.now();
    const rotated = await admin<CreatedKey>("POST", `/keys/${key.id}/rotate`, { grace_seconds: 60 });
    expect(rotated.status).toBe(201);
    const next = rotated.body;
    expect(next.key).not.toBe(key.key);
    expect(next).toMatchObject({ id: key.id, team_id: key.team_id, name: key.name, status: "active", prefix: displayPrefix(next.key) });
    expect(next.prefix).not.toBe(key.prefix);
    const graceEnds = Date.parse(next.previous_key_expires_at as string);
    expect(graceEnds).toBeGreaterThanOrEqual(before + 59_000);
    expect(graceEnds).toBeLessThanOrEqual(Date.now() + 60_000);
    const viaOld = await useKey(key.key);
    const viaNew = await useKey(next.key);
    expect([viaOld.status, viaNew.status]).toEqual([200, 200]);
    // One key: both secrets' usage lands on the same key id.
    expect((await waitForUsage(viaOld.headers.get("x-request-id") as string)).key_id).toBe(key.id);
    expect((await waitForUsage(viaNew.headers.get("x-request-id") as string)).key_id).toBe(key.id);
    expect((await admin("GET", `/keys/${key.id}`)).body).toMatchObject({
      prefix: next.prefix,
      previous_key_expires_at: next.previous_key_expires_at,
    });
  });

  it("rotate with grace_seconds=0 refuses the old secret with 401 api_key_rotated at once on this isolate, although it was cached, and the new one works", async () => {
    const key = await newKey(await newTeam());
    const keyReads = countKeyReads();
    expect((await useKey(key.key)).status).toBe(200);
    expect((await useKey(key.key)).status).toBe(200);
    expect(keyReads()).toBe(1);
    const rotated = await admin<CreatedKey>("POST", `/keys/${key.id}/rotate`, { grace_seconds: 0 });
    expect(rotated.status).toBe(201);
    // The old secret's grace ended at the rotation itself.
    expect(rotated.body).toMatchObject({ id: key.id, previous_key_expires_at: rotated.body.updated_at });
    await expectRefused(key.key, "api_key_rotated");
    expect((await useKey(rotated.body.key)).status).toBe(200);
  });

  it("rotate with no body uses the default grace of 0 seconds", async () => {
    const key = await newKey(await newTeam());
    const rotated = await admin<CreatedKey>("POST", `/keys/${key.id}/rotate`);
    expect(rotated.status).toBe(201);
    expect(rotated.body.previous_key_expires_at).toBe(rotated.body.updated_at);
    await expectRefused(key.key, "api_key_rotated");
    expect((await useKey(rotated.body.key)).status).toBe(200);
  });

  it("tells the caller of a rotated-out secret to use the new key, in the error message", async () => {
    const key = await newKey(await newTeam());
    await admin<CreatedKey>("POST", `/keys/${key.id}/rotate`);
    const res = await useKey(key.key);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: {
        message: "This API key was replaced by a rotation; use the new key.",
        type: "authentication_error",
        param: null,
        code: "api_key_rotated",
      },
    });
  });

  it("refuses the old secret with api_key_rotated once its grace period has ended, even from the isolate cache", async () => {
    const key = await newKey(await newTeam());
    const rotated = await admin<CreatedKey>("POST", `/keys/${key.id}/rotate`, { grace_seconds: 1 });
    expect((await useKey(key.key)).status).toBe(200);
    await sleepUntil(rotated.body.previous_key_expires_at as string);
    await expectRefused(key.key, "api_key_rotated");
    expect((await useKey(rotated.body.key)).status).toBe(200);
    expect((await admin("GET", `/keys/${key.id}`)).body.status).toBe("active");
  });

  it("accepts a grace period of exactly seven days (MAX_GRACE_SECONDS)", async () => {
    const key = await newKey(await newTeam());
    const rotated = await admin<CreatedKey>("POST", `/keys/${key.id}/rotate`, { grace_seconds: MAX_GRACE_SECONDS });
    expect(rotated.status).toBe(201);
    expect(Date.parse(rotated.body.previous_key_expires_at as string) - Date.now()).toBeGreaterThan(MAX_GRACE_SECONDS * 1000 - 60_000);
  });
});

describe("revocation timing", () => {
  it("on the isolate that handled DELETE, a key cached a moment before is refused at once with 401 api_key_revoked", async () => {
    const key = await newKey(await newTeam());
    const keyReads = countKeyReads();
    expect((await useKey(key.key)).status).toBe(200);
    expect((await useKey(key.key)).status).toBe(200);
    expect(keyReads()).toBe(1); // the second request was served from the isolate cache
    expect((await admin("DELETE", `/keys/${key.id}`)).status).toBe(200);
    await expectRefused(key.key, "api_key_revoked");
  });

  it("revoking a key during a rotation's grace period refuses both its secrets at once", async () => {
    const key = await newKey(await newTeam());
    const rotated = await admin<CreatedKey>("POST", `/keys/${key.id}/rotate`, { grace_seconds: 600 });
    expect([(await useKey(key.key)).status, (await useKey(rotated.body.key)).status]).toEqual([200, 200]);
    expect((await admin("DELETE", `/keys/${key.id}`)).status).toBe(200);
    await expectRefused(key.key, "api_key_revoked");
    await expectRefused(rotated.body.key, "api_key_revoked");
    // The view no longer shows a grace period: nothing works any more.
    expect((await admin("GET", `/keys/${key.id}`)).body.previous_key_expires_at).toBeNull();
  });

  it("keeps only one previous secret: a second rotation during a grace period stops the first secret at once (then unknown: invalid_api_key)", async () => {
    const key = await newKey(await newTeam());
    const second = await admin<CreatedKey>("POST", `/keys/${key.id}/rotate`, { grace_seconds: 600 });
    const third = await admin<CreatedKey>("POST", `/keys/${key.id}/rotate`, { grace_seconds: 600 });
    await expectRefused(key.key, "invalid_api_key");
    expect([(await useKey(second.body.key)).status, (await useKey(third.body.key)).status]).toEqual([200, 200]);
  });

  it("after two rotations without grace, answers the last replaced secret api_key_rotated and the one before it invalid_api_key", async () => {
    const key = await newKey(await newTeam());
    const second = await admin<CreatedKey>("POST", `/keys/${key.id}/rotate`);
    const third = await admin<CreatedKey>("POST", `/keys/${key.id}/rotate`);
    await expectRefused(key.key, "invalid_api_key");
    await expectRefused(second.body.key, "api_key_rotated");
    expect((await useKey(third.body.key)).status).toBe(200);
  });

  it("answers a secret replaced with no grace period api_key_revoked once its key is revoked, like the current one", async () => {
    const key = await newKey(await newTeam());
    const rotated = await admin<CreatedKey>("POST", `/keys/${key.id}/rotate`);
    expect((await admin("DELETE", `/keys/${key.id}`)).status).toBe(200);
    await expectRefused(key.key, "api_key_revoked");
    await expectRefused(rotated.body.key, "api_key_revoked");
  });

  it("treats an empty PATCH of a key as a no-op: nothing audited", async () => {
    const key = await newKey(await newTeam());
    const patched = await admin("PATCH", `/keys/${key.id}`, {});
    expect(patched.status).toBe(200);
    expect(patched.body.updated_at).toBe(key.updated_at);
    const audit = await admin<{ data: { action: string }[] }>("GET", `/audit?target_id=${key.id}`);
    expect(audit.body.data.map((entry) => entry.action)).toEqual(["key.create"]);
  });

  it("on another isolate, a revoke is honoured within KEY_CACHE_TTL_MS: the cached record until t+4999 ms, revoked from t+5000 ms", async () => {
    const key = await newKey(await newTeam());
    const hash = await hashKey(key.key);
    forgetKey(hash);
    const t = Date.now();
    expect(await lookupKey(env.DB, hash, t)).toMatchObject({ id: key.id, revoked: false });
    // Another isolate's DELETE, as this isolate sees it: the row changes in D1 and nobody tells this cache.
    await env.DB.prepare("UPDATE api_keys SET revoked_at = ?1, updated_at = ?1 WHERE id = ?2")
      .bind(new Date(t).toISOString(), key.id)
      .run();
    expect(KEY_CACHE_TTL_MS).toBe(5_000);
    expect(await lookupKey(env.DB, hash, t + KEY_CACHE_TTL_MS - 1)).toMatchObject({ id: key.id, revoked: false });
    expect(await lookupKey(env.DB, hash, t + KEY_CACHE_TTL_MS)).toMatchObject({ id: key.id, revoked: true });
    expect((await admin("GET", `/keys/${key.id}`)).body.status).toBe("revoked");
  });

  it("on another isolate, the data plane keeps serving a key revoked elsewhere until KEY_CACHE_TTL_MS has passed, then answers api_key_revoked", async () => {
    const key = await newKey(await newTeam());
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    try {
      expect((await useKey(key.key)).status).toBe(200);
      await env.DB.prepare("UPDATE api_keys SET revoked_at = ?1 WHERE id = ?2").bind(new Date().toISOString(), key.id).run();
      vi.setSystemTime(Date.now() + KEY_CACHE_TTL_MS - 100);
      expect((await useKey(key.key)).status).toBe(200);
      vi.setSystemTime(Date.now() + 100);
      await expectRefused(key.key, "api_key_revoked");
    } finally {
      vi.useRealTimers();
    }
  });
});

/**
 * Lands `race` (another admin request) just before the route's next D1 batch, that is
 * after its liveKey() read saw the key live: the interleaving two concurrent requests
 * can have, made deterministic.
 */
function beforeNextBatch(race: () => Promise<unknown>): void {
  const batch = env.DB.batch.bind(env.DB);
  vi.spyOn(env.DB, "batch").mockImplementationOnce(async (statements) => {
    await race();
    return batch(statements);
  });
}

async function auditActions(keyId: string): Promise<string[]> {
  const audit = await admin<{ data: { action: string }[] }>("GET", `/audit?target_id=${keyId}`);
  return audit.body.data.map((entry) => entry.action);
}

describe("changes racing a revoke", () => {
  it("answers 409 key_revoked to a rotation that a revoke overtook after its read: no new secret, no key.rotate audit entry", async () => {
    const key = await newKey(await newTeam());
    beforeNextBatch(() => adminCall("DELETE", `/keys/${key.id}`));
    const res = await adminCall("POST", `/keys/${key.id}/rotate`, { grace_seconds: 60 });
    const body = await expectAdminError(res, 409, { code: "key_revoked" });
    expect(JSON.stringify(body)).not.toMatch(/tgw_/);
    expect(await auditActions(key.id)).toEqual(["key.revoke", "key.create"]);
    const after = (await admin("GET", `/keys/${key.id}`)).body;
    expect(after).toMatchObject({ status: "revoked", prefix: key.prefix, previous_key_expires_at: null });
    await expectRefused(key.key, "api_key_revoked");
  });

  it("answers 409 key_revoked to a PATCH that a revoke overtook after its read: nothing changed, no key.update audit entry", async () => {
    const key = await newKey(await newTeam());
    beforeNextBatch(() => adminCall("DELETE", `/keys/${key.id}`));
    await expectAdminError(await adminCall("PATCH", `/keys/${key.id}`, { name: "renamed", metadata: { v: 2 } }), 409, {
      code: "key_revoked",
    });
    expect(await auditActions(key.id)).toEqual(["key.revoke", "key.create"]);
    expect((await admin("GET", `/keys/${key.id}`)).body).toMatchObject({ status: "revoked", name: key.name, metadata: {} });
  });

  it("answers 409 key_revoked to the second of two racing revokes: one key.revoke audit entry, the first revoke's time kept", async () => {
    const key = await newKey(await newTeam());
    let first: Key | undefined;
    beforeNextBatch(async () => {
      first = (await admin("DELETE", `/keys/${key.id}`)).body;
    });
    await expectAdminError(await adminCall("DELETE", `/keys/${key.id}`), 409, { code: "key_revoked" });
    expect(await auditActions(key.id)).toEqual(["key.revoke", "key.create"]);
    expect((await admin("GET", `/keys/${key.id}`)).body.revoked_at).toBe(first?.revoked_at);
  });

  it("builds a rotate statement that changes no row of a revoked key, and an audit statement that then writes nothing", async () => {
    const key = await newKey(await newTeam());
    expect((await admin("DELETE", `/keys/${key.id}`)).status).toBe(200);
    const now = new Date().toISOString();
    const [rotate, audited] = await env.DB.batch([
      rotateKeyStatement(env.DB, key.id, { keyHash: "0".repeat(64), prefix: "tgw_zzzzzz", previousExpiresAt: now }, now),
      auditStatement(
        env.DB,
        BOOTSTRAP_OWNER,
        { action: "key.rotate", targetType: "key", targetId: key.id, before: null, after: null },
        { ifChanged: true },
      ),
    ]);
    expect([rotate?.meta.changes, audited?.meta.changes]).toEqual([0, 0]);
    expect(await auditActions(key.id)).toEqual(["key.revoke", "key.create"]);
  });
});

describe("key errors", () => {
  it("answers 404 team_not_found when creating or listing keys for an unknown team", async () => {
    await expectAdminError(await adminCall("POST", "/teams/team_nope/keys", { name: "x" }), 404, {
      code: "team_not_found",
      type: "not_found_error",
    });
    await expectAdminError(await adminCall("GET", "/teams/team_nope/keys"), 404, { code: "team_not_found" });
  });

  it("answers 404 key_not_found for an unknown key id on GET, PATCH, DELETE and rotate", async () => {
    for (const [method, path, body] of [
      ["GET", "/keys/key_nope"],
      ["PATCH", "/keys/key_nope", { name: "x" }],
      ["DELETE", "/keys/key_nope"],
      ["POST", "/keys/key_nope/rotate", { grace_seconds: 0 }],
    ] as [string, string, unknown?][]) {
      await expectAdminError(await adminCall(method, path, body), 404, { code: "key_not_found", type: "not_found_error" });
    }
  });

  it("answers 400 naming the field for a bad key body: missing name, unknown field, wrong types, bad or past expires_at", async () => {
    const teamId = await newTeam();
    const cases: [unknown, string][] = [
      [{}, "name"],
      [{ name: "" }, "name"],
      [{ name: 7 }, "name"],
      [{ name: "x", scopes: ["all"] }, "scopes"],
      [{ name: "x", models: "llama-3.3-70b" }, "models"],
      [{ name: "x", models: [1] }, "models.0"],
      [{ name: "x", metadata: [] }, "metadata"],
      [{ name: "x", expires_at: "tomorrow" }, "expires_at"],
      [{ name: "x", expires_at: 1_900_000_000 }, "expires_at"],
      [{ name: "x", expires_at: "2020-01-01T00:00:00Z" }, "expires_at"],
    ];
    for (const [body, param] of cases) {
      await expectAdminError(await adminCall("POST", `/teams/${teamId}/keys`, body), 400, { param, type: "invalid_request_error" });
    }
    expect((await admin<{ data: Key[] }>("GET", `/teams/${teamId}/keys`)).body.data).toEqual([]);
  });

  it("answers 400 naming the field for a bad PATCH: unknown field, empty name, past expires_at", async () => {
    const key = await newKey(await newTeam());
    await expectAdminError(await adminCall("PATCH", `/keys/${key.id}`, { revoked: true }), 400, { param: "revoked" });
    await expectAdminError(await adminCall("PATCH", `/keys/${key.id}`, { name: " " }), 400, { param: "name" });
    await expectAdminError(await adminCall("PATCH", `/keys/${key.id}`, { expires_at: new Date(Date.now() - 1000).toISOString() }), 400, {
      param: "expires_at",
    });
  });

  it("answers 400 naming grace_seconds above seven days, below zero or not an integer, and an unknown rotate field", async () => {
    const key = await newKey(await newTeam());
    for (const grace_seconds of [MAX_GRACE_SECONDS + 1, -1, 1.5, "60", null]) {
      await expectAdminError(await adminCall("POST", `/keys/${key.id}/rotate`, { grace_seconds }), 400, { param: "grace_seconds" });
    }
    await expectAdminError(await adminCall("POST", `/keys/${key.id}/rotate`, { grace: 60 }), 400, { param: "grace" });
    // Nothing rotated: the original secret still works.
    expect((await useKey(key.key)).status).toBe(200);
    expect((await admin("GET", `/keys/${key.id}`)).body.prefix).toBe(key.prefix);
  });

  it("answers 400 invalid_json for key bodies that are not JSON", async () => {
    const key = await newKey(await newTeam());
    for (const [method, path] of [
      ["POST", `/teams/${key.team_id}/keys`],
      ["PATCH", `/keys/${key.id}`],
      ["POST", `/keys/${key.id}/rotate`],
    ]) {
      const res = await callGateway(`/admin${path}`, {
        method,
        headers: { authorization: "Bearer admin-token-for-tests", "content-type": "application/json" },
        body: "{grace_seconds: 60}",
      });
      await expectAdminError(res, 400, { code: "invalid_json" });
    }
  });

  it("answers 409 key_revoked when rotating, patching or revoking a revoked key, and changes nothing", async () => {
    const key = await newKey(await newTeam());
    const revoked = (await admin("DELETE", `/keys/${key.id}`)).body;
    await expectAdminError(await adminCall("POST", `/keys/${key.id}/rotate`, { grace_seconds: 60 }), 409, { code: "key_revoked" });
    await expectAdminError(await adminCall("PATCH", `/keys/${key.id}`, { name: "revived" }), 409, { code: "key_revoked" });
    await expectAdminError(await adminCall("DELETE", `/keys/${key.id}`), 409, { code: "key_revoked" });
    expect((await admin("GET", `/keys/${key.id}`)).body).toEqual(revoked);
    await expectRefused(key.key, "api_key_revoked");
  });

  it("answers 400 for a bad limit or cursor on a team's key list", async () => {
    const teamId = await newTeam();
    await expectAdminError(await adminCall("GET", `/teams/${teamId}/keys?limit=0`), 400, { param: "limit" });
    await expectAdminError(await adminCall("GET", `/teams/${teamId}/keys?cursor=nope`), 400, { code: "invalid_cursor", param: "cursor" });
  });
});

describe("key pagination", () => {
  it("pages through a team's keys exactly once, oldest first, with limit=2, even when keys are added after the first page (keyset, not offset)", async () => {
    const teamId = await newTeam();
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push((await newKey(teamId, { name: `k${i}` })).id);
    let added = "";
    const { items, pageSizes } = await allPages<Key>(`/teams/${teamId}/keys`, 2, async () => {
      added = (await newKey(teamId, { name: "added mid-way" })).id;
      const old = "2000-01-01T00:00:00.000Z";
      await env.DB.prepare(
        "INSERT INTO api_keys (id, team_id, name, key_hash, prefix, metadata, created_at, updated_at) VALUES (?, ?, 'back-dated', ?, 'tgw_old', '{}', ?, ?)",
      )
        .bind(`key_back_dated_${teamId}`, teamId, `hash-${teamId}`, old, old)
        .run();
    });
    expect(pageSizes).toEqual([2, 2, 2]);
    expect(items.map((k) => k.id)).toEqual([...created, added]);
    bodies.push({ where: "key pages", text: JSON.stringify(items) });
  });
});
