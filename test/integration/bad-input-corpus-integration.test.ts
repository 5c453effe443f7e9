import { createExecutionContext, env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { hashKey } from "../../src/auth/key-format";
import worker from "../../src/index";
import type { AdminCase, Fixtures } from "../fixtures/bad-input/admin-case";
import { limitCases, priceCases, queryCases, replayCases } from "../fixtures/bad-input/admin-query-cases";
import { adminAuthCases, adminRouteCases, keyCases, teamCases } from "../fixtures/bad-input/admin-route-cases";
import type { Expected } from "../fixtures/bad-input/shared";
import { authenticationCases } from "../fixtures/bad-input/v1-auth-cases";
import { bomCases, duplicateCases, fieldCases, notJsonCases } from "../fixtures/bad-input/v1-body-cases";
import type { Auth, Keys, V1Case } from "../fixtures/bad-input/v1-case";
import { deepCases, modelNotAllowedCases, routeCases, sizeCases } from "../fixtures/bad-input/v1-route-cases";
import { ADMIN_TOKEN, adminCall, adminJson } from "../helpers/admin";
import {
  chunkEvent,
  GATEWAY,
  mockUpstream,
  seedKey,
  sseResponse,
  UPSTREAM_KEY,
  type UpstreamCall,
  usageRowCount,
  waitForUsage,
} from "../helpers/gateway";

/**
 * The bad-input corpus (issue 12): every input a client or an attacker can send that the
 * gateway must refuse, each answered with its documented 4xx in the OpenAI error shape,
 * never forwarded (unless the case says why it must be), and, once authenticated, metered
 * exactly once. The cases are tables under test/fixtures/bad-input/. /v1 cases are all sent
 * in one beforeAll, one after another (so the upstream calls seen during a case are that
 * case's own), then checked one test each: the queue then delivers their records in a few
 * batches instead of one 1 s batch per test.
 */

const PRODUCTION_LIMIT = String(10 * 1024 * 1024);

/** The error `type` an OpenAI SDK expects for each status the gateway documents. */
const TYPE_BY_STATUS: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  405: "invalid_request_error",
  413: "invalid_request_error",
  431: "invalid_request_error",
};

interface Sent {
  /** The Authorization header sent, if any. */
  authorization?: string;
  /** The body sent, as text (a streamed body: undefined). */
  sentText?: string;
  status: number;
  headers: Headers;
  text: string;
  upstream: UpstreamCall[];
}

/** Every secret of this file: none may appear in any answer (except the one that mints a key). */
const secrets: string[] = [UPSTREAM_KEY, ADMIN_TOKEN];

async function keepSecret(key: string): Promise<string> {
  secrets.push(key, await hashKey(key));
  return key;
}

function expectNoSecret(sent: Pick<Sent, "headers" | "text">, alsoSent?: string): void {
  const forbidden = alsoSent !== undefined && alsoSent.length >= 10 ? [...secrets, alsoSent] : secrets;
  const headerText = [...sent.headers].map(([name, value]) => `${name}: ${value}`).join("\n");
  for (const secret of forbidden) {
    expect(sent.text.includes(secret), `the body quotes a secret (${secret.slice(0, 6)}…)`).toBe(false);
    expect(headerText.includes(secret), `a header quotes a secret (${secret.slice(0, 6)}…)`).toBe(false);
  }
}

/** The OpenAI error shape, exactly: four keys, strings or null, the documented code. */
function expectOpenAIError(sent: Pick<Sent, "status" | "headers" | "text">, expected: Expected): void {
  expect(sent.status, sent.text).toBe(expected.status);
  expect(sent.headers.get("content-type")).toBe("application/json");
  const body = JSON.parse(sent.text) as { error: Record<string, unknown> };
  expect(Object.keys(body)).toEqual(["error"]);
  expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
  const { message, type, param, code } = body.error;
  expect(typeof message === "string" && message.length > 0).toBe(true);
  expect(typeof type).toBe("string");
  expect(param === null || typeof param === "string").toBe(true);
  expect(code).toBe(expected.code);
  const documentedType = TYPE_BY_STATUS[expected.status];
  if (documentedType !== undefined) expect(type).toBe(documentedType);
  if (expected.param !== undefined) expect(param).toBe(expected.param);
  if (expected.allow !== undefined) expect(sent.headers.get("allow")).toBe(expected.allow);
}

function authorizationOf(auth: Auth, keys: Keys): string | undefined {
  if (auth === null) return undefined;
  if (typeof auth === "string") return `Bearer ${keys[auth]}`;
  return auth.header(keys);
}

async function sendV1(c: V1Case, keys: Keys, calls: UpstreamCall[]): Promise<Sent> {
  const before = calls.length;
  const headers = new Headers(c.headers);
  const authorization = authorizationOf(c.auth, keys);
  if (authorization !== undefined) headers.set("authorization", authorization);
  const payload = typeof c.body === "function" ? c.body() : c.body;
  if (payload !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");
  const request = new Request(`${GATEWAY}${c.path}`, {
    method: c.method ?? (payload === undefined ? "GET" : "POST"),
    headers,
    body: payload,
    ...(payload instanceof ReadableStream ? { duplex: "half" } : {}),
  } as RequestInit);
  const res = c.productionLimit
    ? await worker.fetch(request, { ...env, MAX_REQUEST_BYTES: PRODUCTION_LIMIT }, createExecutionContext())
    : await exports.default.fetch(request);
  const text = await res.text();
  const sentText = typeof payload === "string" ? payload : payload instanceof Uint8Array ? new TextDecoder().decode(payload) : undefined;
  return { authorization, sentText, status: res.status, headers: res.headers, text, upstream: calls.slice(before) };
}

/** What the test upstream answers: a finished stream with usage, or a JSON answer with usage. */
function upstreamAnswer(call: UpstreamCall): Response {
  const usage = { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 };
  if (call.url.endsWith("/models")) return Response.json({ object: "list", data: [] });
  if (/"stream"\s*:\s*true/.test(call.body)) return sseResponse([chunkEvent({ content: "ok", finish: "stop", usage }), "data: [DONE]\n\n"]);
  if (call.url.endsWith("/embeddings")) return Response.json({ object: "list", data: [], usage: { prompt_tokens: 3, total_tokens: 3 } });
  return Response.json({ id: "x", object: "chat.completion", choices: [], usage });
}

async function sendAdmin(c: AdminCase, f: Fixtures): Promise<Sent> {
  const headers = new Headers(c.headers);
  const authorization =
    typeof c.authorization === "function" ? c.authorization(f) : c.authorization === undefined ? `Bearer ${ADMIN_TOKEN}` : c.authorization;
  if (authorization !== null) headers.set("authorization", authorization);
  const raw = typeof c.raw === "function" ? c.raw() : c.raw;
  const payload = c.json !== undefined ? JSON.stringify(c.json) : raw;
  if (payload !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");
  const path = typeof c.path === "function" ? c.path(f) : c.path;
  const res = await exports.default.fetch(
    new Request(`${GATEWAY}/admin${path}`, {
      method: c.method,
      headers,
      body: payload,
      ...(payload instanceof ReadableStream ? { duplex: "half" } : {}),
    } as RequestInit),
  );
  return { status: res.status, headers: res.headers, text: await res.text(), upstream: [] };
}

const V1_CASES: V1Case[] = [
  ...authenticationCases(),
  ...notJsonCases(),
  ...bomCases(),
  ...fieldCases(),
  ...duplicateCases(),
  ...sizeCases(),
  ...deepCases(),
  ...modelNotAllowedCases(),
  ...routeCases(),
];

/** Budgets and limits (src/admin/limit-schemas.ts) last: they are the newest bodies. */
const ADMIN_CASES: AdminCase[] = [
  ...adminAuthCases(),
  ...adminRouteCases(),
  ...teamCases(),
  ...keyCases(),
  ...queryCases(),
  ...priceCases(),
  ...replayCases(),
  ...limitCases("/admin/teams/{id}", (f) => `/teams/${f.teamId}`),
  ...limitCases("/admin/keys/{id}", (f) => `/keys/${f.keyId}`),
];

async function auditCount(): Promise<number> {
  return (await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_log").first<{ n: number }>())?.n ?? 0;
}

async function mintViaAdmin(teamId: string, name: string): Promise<{ id: string; key: string }> {
  const minted = await adminJson<{ id: string; key: string }>("POST", `/teams/${teamId}/keys`, { name });
  await keepSecret(minted.key);
  return minted;
}

describe("the corpus", () => {
  it("holds at least 200 distinct cases, each with its own name", () => {
    const names = [...V1_CASES, ...ADMIN_CASES].map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThanOrEqual(200);
  });
});

describe("bad input on /v1", () => {
  const sent = new Map<string, Sent>();
  let keys: Keys;

  beforeAll(async () => {
    const calls = mockUpstream(upstreamAnswer);
    const team = await adminJson<{ id: string }>("POST", "/teams", { name: "v1 corpus team" });
    const revoked = await mintViaAdmin(team.id, "revoked");
    expect((await adminCall("DELETE", `/keys/${revoked.id}`)).status).toBe(200);
    const rotatedTwice = await mintViaAdmin(team.id, "rotated");
    const rotated = await keepSecret(
      (await adminJson<{ key: string }>("POST", `/keys/${rotatedTwice.id}/rotate`, { grace_seconds: 0 })).key,
    );
    await keepSecret((await adminJson<{ key: string }>("POST", `/keys/${rotatedTwice.id}/rotate`, { grace_seconds: 0 })).key);
    keys = {
      open: await keepSecret((await seedKey()).key),
      limited: await keepSecret((await seedKey({ models: ["llama-3.1-8b"] })).key),
      revoked: revoked.key,
      expired: await keepSecret((await seedKey({ expiresAt: new Date(Date.now() - 1000).toISOString() })).key),
      rotated,
      rotatedTwice: rotatedTwice.key,
    };
    for (const c of V1_CASES) sent.set(c.name, await sendV1(c, keys, calls));
    // A barrier: once this last request's record is in D1, any record of the requests before it would be too.
    const last = await exports.default.fetch(new Request(`${GATEWAY}/v1/models`, { headers: { authorization: `Bearer ${keys.open}` } }));
    await last.text();
    await waitForUsage(last.headers.get("x-request-id") as string);
  }, 60_000);

  afterAll(() => vi.restoreAllMocks());

  for (const c of V1_CASES)
    it(c.name, async () => {
      const result = sent.get(c.name) as Sent;
      const requestId = result.headers.get("x-request-id");
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
      expectNoSecret(result, result.authorization?.replace(/^\S+\s+/, ""));

      if (c.forwarded !== undefined) {
        expect(result.status, result.text).toBe(200);
        expect(result.upstream).toHaveLength(1);
        const [call] = result.upstream as [UpstreamCall];
        expect(call.headers.get("authorization")).toBe(`Bearer ${UPSTREAM_KEY}`);
        // Unchanged, unless the gateway spliced include_usage into a streamed body.
        if (!/"stream":true/.test(result.sentText ?? "")) expect(call.body).toBe(result.sentText);
      } else {
        const expected = c.expect as Expected;
        if (c.method === "HEAD") {
          // A HEAD answer carries no body (RFC 9110 §9.3.2): the status, type and Allow still say it.
          expect(result.status).toBe(expected.status);
          expect(result.headers.get("content-type")).toBe("application/json");
          expect(result.headers.get("allow")).toBe(expected.allow);
          expect(result.text).toBe("");
        } else {
          expectOpenAIError(result, expected);
        }
        expect(result.upstream, "the gateway forwarded an input it must refuse").toHaveLength(0);
      }

      const id = requestId as string;
      if (result.status === 401) {
        // No key, no team to bill: no record (the barrier's record is already in).
        expect(await usageRowCount(id)).toBe(0);
        return;
      }
      const record = await waitForUsage(id);
      expect(await usageRowCount(id)).toBe(1);
      expect(record.status).toBe(result.status);
      if (c.forwarded !== undefined) {
        expect(record).toMatchObject({ outcome: "completed", usage_source: "upstream" });
      } else {
        expect(record).toMatchObject({ outcome: "rejected", usage_source: "none", total_tokens: 0 });
      }
    });
});

describe("bad input on /admin", () => {
  let fixtures: Fixtures;

  beforeAll(async () => {
    const team = await adminJson<{ id: string }>("POST", "/teams", { name: "corpus team" });
    const other = await adminJson<{ id: string }>("POST", "/teams", { name: "corpus other team" });
    const live = await mintViaAdmin(team.id, "live");
    const revoked = await mintViaAdmin(team.id, "revoked");
    expect((await adminCall("DELETE", `/keys/${revoked.id}`)).status).toBe(200);
    fixtures = { teamId: team.id, otherTeamId: other.id, keyId: live.id, revokedKeyId: revoked.id, gatewayKey: live.key };
  });

  for (const c of ADMIN_CASES)
    it(c.name, async () => {
      const before = await auditCount();
      const result = await sendAdmin(c, fixtures);
      expectOpenAIError(result, c.expect);
      expectNoSecret(result);
      expect(await auditCount(), "a refused admin call left an audit entry").toBe(before);
    });
});
