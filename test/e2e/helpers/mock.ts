/**
 * What the mock Tensoras saw and sent, per request, read over its /__mock
 * endpoints (it runs as its own process). Records are keyed by the x-request-id
 * the gateway sent, which is the gateway's own request id.
 */
import { e2e } from "./env";

/** The mock's record of one request (mock/README.md, "Inspecting what was sent"). */
export interface MockRecord {
  mockId: string;
  id: string | null;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown> | null;
  status: number;
  bytesSent: number;
  events: number;
  aborted: boolean;
  outcome: "pending" | "complete" | "client-closed" | "dropped" | "error-event";
  usage: Record<string, unknown> | null;
}

const SETTLE_TIMEOUT_MS = 10_000;

export async function mockRecords(): Promise<MockRecord[]> {
  const response = await fetch(`${e2e.mockUrl}/__mock/requests`);
  if (!response.ok) throw new Error(`GET /__mock/requests → ${response.status}`);
  return (await response.json()) as MockRecord[];
}

/** Every record the mock holds for the gateway's request id (none if it was never forwarded). */
export async function mockRecordsFor(requestId: string): Promise<MockRecord[]> {
  return (await mockRecords()).filter((record) => record.id === requestId);
}

/**
 * The one upstream request behind `requestId`, once the mock finished with it: the
 * client may see `[DONE]` a moment before the mock's socket closes.
 */
export async function settledMockRecord(requestId: string): Promise<MockRecord> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const records = await mockRecordsFor(requestId);
    if (records.length > 1) throw new Error(`the mock saw ${records.length} requests with x-request-id ${requestId}`);
    const [record] = records;
    if (record && record.outcome !== "pending") return record;
    if (Date.now() > deadline) throw new Error(`the mock has no settled request ${requestId} (${record ? record.outcome : "none"})`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** The exact body bytes the mock sent for that request. */
export async function mockRawBody(requestId: string): Promise<Uint8Array> {
  const response = await fetch(`${e2e.mockUrl}/__mock/requests/${encodeURIComponent(requestId)}/raw`);
  if (!response.ok) throw new Error(`GET /__mock/requests/${requestId}/raw → ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}
