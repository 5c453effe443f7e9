import { env } from "cloudflare:test";
import { expect, vi } from "vitest";
import { hashKey } from "../../src/auth/key-format";
import { insertUsageEventStatement } from "../../src/db/usage-events";
import type { UsageRecord } from "../../src/metering/usage-record";
import { callGateway } from "./gateway";

export const ADMIN_TOKEN = "admin-token-for-tests";

/** Calls the admin API with the test admin token (or another `token`). */
export function adminCall(method: string, path: string, body?: unknown, token: string | null = ADMIN_TOKEN): Promise<Response> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  return callGateway(`/admin${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

export async function adminJson<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await adminCall(method, path, body);
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** Asserts an admin error: the status, the OpenAI error shape, and the fields given. */
export async function expectAdminError(
  res: Response,
  status: number,
  expected: { code?: string; param?: string | null; type?: string } = {},
): Promise<ErrorBody> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/json");
  const body = JSON.parse(text) as ErrorBody;
  expect(Object.keys(body)).toEqual(["error"]);
  expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
  expect(body.error).toMatchObject({
    message: expect.any(String),
    type: expected.type ?? expect.any(String),
    code: expected.code ?? expect.any(String),
  });
  if (expected.param !== undefined) expect(body.error.param).toBe(expected.param);
  return body;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** Follows next_cursor from the first page until it is null; `between` runs after the first page. */
export async function allPages<T>(
  path: string,
  limit: number,
  between?: () => Promise<void>,
): Promise<{ items: T[]; pageSizes: number[] }> {
  const items: T[] = [];
  const pageSizes: number[] = [];
  let cursor: string | null = null;
  do {
    const url = new URL(path, "https://admin.test");
    url.searchParams.set("limit", String(limit));
    if (cursor !== null) url.searchParams.set("cursor", cursor);
    const page: Page<T> = await adminJson<Page<T>>("GET", `${url.pathname}${url.search}`);
    items.push(...page.data);
    pageSizes.push(page.data.length);
    if (pageSizes.length === 1 && between) await between();
    cursor = page.next_cursor;
    if (pageSizes.length > 1000) throw new Error("pagination does not end");
  } while (cursor !== null);
  return { items, pageSizes };
}

/** Every line the worker (and the test) writes to the console from now until vi.restoreAllMocks(). */
export function captureLogs(): string[] {
  const lines: string[] = [];
  const render = (arg: unknown) =>
    arg instanceof Error ? `${arg.message}\n${arg.stack}` : typeof arg === "string" ? arg : JSON.stringify(arg);
  for (const method of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push(args.map(render).join(" "));
    });
  }
  return lines;
}

/** A plaintext key and its SHA-256 hex: the two forms that must never leak. */
export async function secretForms(plaintexts: Iterable<string>): Promise<string[]> {
  const forms: string[] = [];
  for (const key of plaintexts) forms.push(key, await hashKey(key));
  return forms;
}

export function expectNoSecrets(text: string, forms: string[], where: string): void {
  for (const form of forms) {
    expect(text.includes(form), `${where} contains a key or its hash (${form.slice(0, 8)}…)`).toBe(false);
  }
}

/** Writes ledger rows straight into D1, as the queue consumer would. */
export async function insertUsageEvents(records: UsageRecord[]): Promise<void> {
  await env.DB.batch(
    records.map((record) =>
      insertUsageEventStatement(env.DB, { ...record, cost_micro_usd: record.cost_micro_usd ?? null, price_id: record.price_id ?? null }),
    ),
  );
}
