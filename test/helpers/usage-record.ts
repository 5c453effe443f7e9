import type { PricedRecord } from "../../src/metering/usage-record";

/** A complete, valid usage record (of a model with no price) with a fresh request id; override what the test is about. */
export function usageRecord(overrides: Partial<PricedRecord> = {}): PricedRecord {
  return {
    request_id: crypto.randomUUID(),
    team_id: "team_1",
    key_id: "key_1",
    endpoint: "/v1/chat/completions",
    model: "llama-3.3-70b",
    stream: true,
    status: 200,
    outcome: "completed",
    finish_reason: "stop",
    prompt_tokens: 11,
    completion_tokens: 3,
    total_tokens: 14,
    cached_tokens: 2,
    reasoning_tokens: 1,
    usage_source: "upstream",
    started_at: "2026-03-01T10:00:00.000Z",
    ttfb_ms: 120,
    duration_ms: 950,
    cost_micro_usd: null,
    price_id: null,
    ...overrides,
  };
}
