/**
 * The admin API as a platform engineer would use it: teams and keys are created
 * through it, and the ledger is read back through it.
 */
import { e2e } from "./env";

export interface TestKey {
  teamId: string;
  keyId: string;
  /** The plaintext gateway key, shown once at creation. */
  key: string;
}

/** A ledger row, as GET /admin/usage/events returns it. */
export interface LedgerRecord {
  request_id: string;
  team_id: string;
  key_id: string;
  endpoint: string;
  model: string | null;
  stream: boolean;
  status: number;
  outcome: "completed" | "client_aborted" | "upstream_error" | "upstream_unreachable" | "rejected";
  finish_reason: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cached_tokens: number;
  reasoning_tokens: number;
  usage_source: "upstream" | "estimated" | "none";
  started_at: string;
  ttfb_ms: number | null;
  duration_ms: number;
}

/** The local queue delivers a batch ~1 s after the request; this is ample. */
const LEDGER_TIMEOUT_MS = 15_000;
const POLL_MS = 200;

export async function admin<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${e2e.gatewayUrl}/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${e2e.adminToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`admin ${method} ${path} → ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** A fresh team (names are unique, so each gets a random suffix). */
export async function createTeam(name: string): Promise<string> {
  const team = await admin<{ id: string }>("POST", "/teams", {
    name: `e2e ${name} ${crypto.randomUUID().slice(0, 8)}`,
    metadata: { e2e: true },
  });
  return team.id;
}

export async function createKey(teamId: string, options: { name: string; models?: string[] }): Promise<TestKey> {
  const created = await admin<{ id: string; key: string }>("POST", `/teams/${teamId}/keys`, options);
  return { teamId, keyId: created.id, key: created.key };
}

export async function createTeamAndKey(name: string, models?: string[]): Promise<TestKey> {
  return createKey(await createTeam(name), { name, models });
}

export async function ledgerRecords(keyId: string): Promise<LedgerRecord[]> {
  const records: LedgerRecord[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ key_id: keyId, limit: "1000", ...(cursor ? { cursor } : {}) });
    const page: { data: LedgerRecord[]; next_cursor: string | null } = await admin("GET", `/usage/events?${query}`);
    records.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return records;
}

/** Waits until the key's ledger holds a record that `matches`; returns every record that does. */
export async function waitForLedgerRecords(
  keyId: string,
  matches: (record: LedgerRecord) => boolean,
  what: string,
): Promise<LedgerRecord[]> {
  const deadline = Date.now() + LEDGER_TIMEOUT_MS;
  for (;;) {
    const matching = (await ledgerRecords(keyId)).filter(matches);
    if (matching.length > 0) return matching;
    if (Date.now() > deadline) throw new Error(`no ledger record for ${what} (key ${keyId}) after ${LEDGER_TIMEOUT_MS} ms`);
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
}

/** Waits until the ledger holds the record for `requestId`; returns every record with that id. */
export function waitForLedger(keyId: string, requestId: string): Promise<LedgerRecord[]> {
  return waitForLedgerRecords(keyId, (record) => record.request_id === requestId, `request ${requestId}`);
}

/** Every ledger record with this request id, whatever key it was billed to. */
export async function ledgerRecordsWithId(requestId: string): Promise<LedgerRecord[]> {
  const records: LedgerRecord[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ limit: "1000", ...(cursor ? { cursor } : {}) });
    const page: { data: LedgerRecord[]; next_cursor: string | null } = await admin("GET", `/usage/events?${query}`);
    records.push(...page.data.filter((record) => record.request_id === requestId));
    cursor = page.next_cursor;
  } while (cursor);
  return records;
}
