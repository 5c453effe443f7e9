import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { vi } from "vitest";
import { displayPrefix, generateKey, hashKey } from "../../src/auth/key-format";
import { insertKeyStatement } from "../../src/db/keys";
import type { UsageRecord } from "../../src/metering/usage-record";

export const GATEWAY = "https://gateway.test";
export const UPSTREAM_KEY = "tns-upstream-secret-for-tests";

let counter = 0;

export interface SeededKey {
  key: string;
  keyId: string;
  teamId: string;
  keyHash: string;
}

/** A team and a key written straight to D1, as the admin API would. */
export async function seedKey(options: { models?: string[] | null; expiresAt?: string | null } = {}): Promise<SeededKey> {
  counter++;
  const teamId = `team_${counter}_${crypto.randomUUID()}`;
  const keyId = `key_${counter}_${crypto.randomUUID()}`;
  const key = generateKey();
  const keyHash = await hashKey(key);
  const now = new Date().toISOString();
  await env.DB.batch([
    env.DB.prepare("INSERT INTO teams (id, name, metadata, created_at, updated_at) VALUES (?, ?, '{}', ?, ?)").bind(
      teamId,
      `team ${counter}`,
      now,
      now,
    ),
    insertKeyStatement(env.DB, {
      id: keyId,
      teamId,
      name: `key ${counter}`,
      keyHash,
      prefix: displayPrefix(key),
      models: options.models ?? null,
      expiresAt: options.expiresAt ?? null,
      metadata: {},
      createdAt: now,
    }),
  ]);
  return { key, keyId, teamId, keyHash };
}

export function callGateway(path: string, init: RequestInit & { key?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.key) headers.set("authorization", `Bearer ${init.key}`);
  if (init.body !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");
  return exports.default.fetch(new Request(`${GATEWAY}${path}`, { ...init, headers }));
}

export function chat(key: string, body: Record<string, unknown>, init: RequestInit = {}): Promise<Response> {
  return callGateway("/v1/chat/completions", { method: "POST", key, body: JSON.stringify(body), ...init });
}

export interface UpstreamCall {
  url: string;
  method: string;
  headers: Headers;
  body: string;
}

/**
 * Replaces the Tensoras upstream (the only thing outside the runtime) with a
 * handler, and records what the gateway sent to it.
 */
export function mockUpstream(handler: (call: UpstreamCall) => Response | Promise<Response>): UpstreamCall[] {
  const calls: UpstreamCall[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input as RequestInfo, init as RequestInit);
    const call = { url: request.url, method: request.method, headers: request.headers, body: await request.text() };
    calls.push(call);
    return handler(call);
  });
  return calls;
}

/** Waits until the usage record for a request has gone through the queue into D1. */
export async function waitForUsage(requestId: string, timeoutMs = 8000): Promise<UsageRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await env.DB.prepare("SELECT * FROM usage_events WHERE request_id = ?").bind(requestId).first<Record<string, unknown>>();
    if (row) return { ...row, stream: row.stream === 1 } as unknown as UsageRecord;
    if (Date.now() > deadline) throw new Error(`no usage record for ${requestId} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function usageRowCount(requestId: string): Promise<number> {
  const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM usage_events WHERE request_id = ?").bind(requestId).first<{ n: number }>();
  return row?.n ?? 0;
}

export function sseResponse(events: string[] | ReadableStream<Uint8Array>, init: ResponseInit = {}): Response {
  const body =
    events instanceof ReadableStream
      ? events
      : new ReadableStream<Uint8Array>({
          start(controller) {
            const encoder = new TextEncoder();
            for (const event of events) controller.enqueue(encoder.encode(event));
            controller.close();
          },
        });
  return new Response(body, {
    status: 200,
    ...init,
    headers: { "content-type": "text/event-stream", ...(init.headers as Record<string, string>) },
  });
}

export function chunkEvent(fields: {
  content?: string;
  finish?: string | null;
  usage?: Record<string, unknown> | null;
  choices?: unknown[];
}): string {
  const choices = fields.choices ?? [
    { index: 0, delta: fields.content === undefined ? {} : { content: fields.content }, finish_reason: fields.finish ?? null },
  ];
  const payload: Record<string, unknown> = {
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    created: 1,
    model: "llama-3.3-70b",
    choices,
  };
  if (fields.usage !== undefined) payload.usage = fields.usage;
  return `data: ${JSON.stringify(payload)}\n\n`;
}

export const USAGE = {
  prompt_tokens: 11,
  completion_tokens: 3,
  total_tokens: 14,
  prompt_tokens_details: { cached_tokens: 2 },
  completion_tokens_details: { reasoning_tokens: 1 },
};
