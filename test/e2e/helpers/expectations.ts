/**
 * The two promises every case checks: the client got the very bytes Tensoras
 * sent, and the ledger holds exactly one record of the request with Tensoras's
 * usage.
 */
import { expect } from "vitest";
import { type LedgerRecord, type TestKey, waitForLedger } from "./admin";
import { mockRawBody, mockRecordsFor, settledMockRecord } from "./mock";
import type { Exchange } from "./wire";

const utf8 = new TextDecoder();
const encoder = new TextEncoder();

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i]);
}

function startsWith(whole: Uint8Array, prefix: Uint8Array): boolean {
  return prefix.byteLength <= whole.byteLength && prefix.every((byte, i) => byte === whole[i]);
}

/** The gateway adds stream_options.include_usage to a streamed request that lacks it. */
export function gatewayInjectedUsage(body: Record<string, unknown> | null): boolean {
  if (body?.stream !== true) return false;
  const options = body.stream_options as { include_usage?: unknown } | null | undefined;
  return options?.include_usage !== true;
}

function isUsageOnlyEvent(event: string): boolean {
  const data = event
    .split("\n")
    .filter((line) => line.startsWith("data:"))
    .map((line) => line.slice(5).trimStart())
    .join("\n");
  try {
    const parsed = JSON.parse(data) as { choices?: unknown; usage?: unknown };
    return Array.isArray(parsed.choices) && parsed.choices.length === 0 && parsed.usage != null;
  } catch {
    return false;
  }
}

/**
 * README, "What the gateway changes": when the gateway injected include_usage, a
 * usage-only event (`"choices": []`) is withheld. The only allowed difference.
 */
export function withoutUsageOnlyEvents(raw: Uint8Array): { bytes: Uint8Array; withheld: number } {
  const events = utf8.decode(raw).split(/(?<=\n\n)/);
  const kept = events.filter((event) => !isUsageOnlyEvent(event));
  return { bytes: encoder.encode(kept.join("")), withheld: events.length - kept.length };
}

export interface RelayCheck {
  /** Usage-only events the gateway withheld (the documented exception); 0 means byte-identical. */
  withheld: number;
  received: Uint8Array;
  /** The client read all of it (false: a strict prefix, it stopped early). */
  whole: boolean;
}

/**
 * What the SDK read is what the mock sent for the same request id: identical, or
 * (a stream the gateway asked usage for) identical but for a withheld usage-only
 * event. A stream the client stopped reading must be a prefix of that. Also
 * checks the request reached Tensoras as the SDK sent it.
 */
export async function expectRelayedAsSent(exchange: Exchange): Promise<RelayCheck> {
  const received = await exchange.received;
  const upstream = await settledMockRecord(exchange.requestId);
  const injected = gatewayInjectedUsage(exchange.requestBody);
  const forwarded = injected
    ? { ...exchange.requestBody, stream_options: { ...(exchange.requestBody?.stream_options as object), include_usage: true } }
    : exchange.requestBody;
  expect(upstream.body, "the request body Tensoras received").toEqual(forwarded);

  const raw = await mockRawBody(exchange.requestId);
  const expected = injected ? withoutUsageOnlyEvents(raw) : { bytes: raw, withheld: 0 };
  if (received.end !== "complete" && !sameBytes(received.bytes, expected.bytes)) {
    // The SDK stopped reading early (an abort; the openai SDK also cancels the body once it saw [DONE]).
    expect(startsWith(expected.bytes, received.bytes), "what the client read before it stopped is a prefix of what Tensoras sent").toBe(
      true,
    );
    return { withheld: expected.withheld, received: received.bytes, whole: false };
  }
  if (!sameBytes(received.bytes, expected.bytes)) {
    // Shows a readable diff; the byte check below catches a difference the text hides.
    expect(utf8.decode(received.bytes)).toBe(utf8.decode(expected.bytes));
  }
  expect(sameBytes(received.bytes, expected.bytes), "bytes the client read = bytes Tensoras sent").toBe(true);
  return { withheld: expected.withheld, received: received.bytes, whole: true };
}

export interface ExpectedRecord {
  outcome: LedgerRecord["outcome"];
  /** `upstream`: the tokens the mock reported for this request, exactly. */
  usage: LedgerRecord["usage_source"];
  status?: number;
  model?: string | null;
  finishReason?: string | null;
}

function tokensOf(usage: Record<string, unknown>) {
  const detail = (name: string, field: string) => ((usage[name] as Record<string, number> | undefined)?.[field] ?? 0) as number;
  return {
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens ?? 0,
    total_tokens: usage.total_tokens,
    cached_tokens: detail("prompt_tokens_details", "cached_tokens"),
    reasoning_tokens: detail("completion_tokens_details", "reasoning_tokens"),
  };
}

const tokenFields = (record: LedgerRecord) => ({
  prompt_tokens: record.prompt_tokens,
  completion_tokens: record.completion_tokens,
  total_tokens: record.total_tokens,
  cached_tokens: record.cached_tokens,
  reasoning_tokens: record.reasoning_tokens,
});

/** Exactly one ledger record for the exchange's request id, billed to `key`, with the expected usage. */
export async function expectMetered(exchange: Exchange, key: TestKey, expected: ExpectedRecord): Promise<LedgerRecord> {
  expect(exchange.requestId, "the response's x-request-id").toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
  const records = await waitForLedger(key.keyId, exchange.requestId);
  expect(records, "ledger records for this request id").toHaveLength(1);
  const record = records[0] as LedgerRecord;
  const body = exchange.requestBody;
  expect(record).toMatchObject({
    team_id: key.teamId,
    key_id: key.keyId,
    endpoint: new URL(exchange.url).pathname,
    model: expected.model !== undefined ? expected.model : ((body?.model as string | undefined) ?? null),
    stream: body?.stream === true,
    status: expected.status ?? exchange.status,
    outcome: expected.outcome,
    usage_source: expected.usage,
  });
  if (expected.finishReason !== undefined) expect(record.finish_reason).toBe(expected.finishReason);

  if (expected.usage === "upstream") {
    const upstream = await settledMockRecord(exchange.requestId);
    expect(upstream.usage, "the usage the mock reported").not.toBeNull();
    expect(tokenFields(record)).toEqual(tokensOf(upstream.usage as Record<string, unknown>));
  } else if (expected.usage === "none") {
    expect(tokenFields(record)).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, cached_tokens: 0, reasoning_tokens: 0 });
  } else {
    // Never silently zero: an estimate has both sides.
    expect(record.prompt_tokens).toBeGreaterThan(0);
    expect(record.completion_tokens).toBeGreaterThan(0);
    expect(record.total_tokens).toBe(record.prompt_tokens + record.completion_tokens);
  }
  return record;
}

/** A request the gateway refused itself never reaches Tensoras. */
export async function expectNotForwarded(requestId: string): Promise<void> {
  expect(await mockRecordsFor(requestId)).toEqual([]);
}
