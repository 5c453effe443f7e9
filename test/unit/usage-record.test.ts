import { describe, expect, it } from "vitest";
import { estimatePromptTokens } from "../../src/metering/estimate";
import { JsonBodyCollector, MAX_PARSED_BYTES, usageFromTail } from "../../src/metering/json-usage";
import { normalizeUsage } from "../../src/metering/usage";
import { type UsageRecord, UsageRecordSchema } from "../../src/metering/usage-record";
import { usageRecord } from "../helpers/usage-record";

const RECORD: UsageRecord = usageRecord({ request_id: "0190a6b2-7c3d-7000-8000-000000000001" });

describe("normalizeUsage", () => {
  it("reads chat usage with cached_tokens and reasoning_tokens from their details objects", () => {
    expect(
      normalizeUsage({
        prompt_tokens: 120,
        completion_tokens: 45,
        total_tokens: 165,
        prompt_tokens_details: { cached_tokens: 64 },
        completion_tokens_details: { reasoning_tokens: 30 },
      }),
    ).toEqual({ prompt_tokens: 120, completion_tokens: 45, total_tokens: 165, cached_tokens: 64, reasoning_tokens: 30 });
  });

  it("reads embeddings usage without completion_tokens as 0 completion and total from total_tokens", () => {
    expect(normalizeUsage({ prompt_tokens: 8, total_tokens: 9 })).toEqual({
      prompt_tokens: 8,
      completion_tokens: 0,
      total_tokens: 9,
      cached_tokens: 0,
      reasoning_tokens: 0,
    });
  });

  it("adds prompt and completion when total_tokens is missing", () => {
    expect(normalizeUsage({ prompt_tokens: 8, completion_tokens: 5 })).toMatchObject({ total_tokens: 13 });
  });

  it.each([
    ["null", null],
    ["undefined", undefined],
    ["an empty object", {}],
    ["counts given as strings", { prompt_tokens: "11", completion_tokens: "3", total_tokens: "14" }],
    ["NaN and negative counts", { prompt_tokens: Number.NaN, completion_tokens: -3, total_tokens: Number.POSITIVE_INFINITY }],
    ["only details objects", { prompt_tokens_details: { cached_tokens: 5 } }],
    ["a number", 14],
    ["an array", [11, 3, 14]],
  ])("returns null, not zero usage, for %s", (_label, usage) => {
    expect(normalizeUsage(usage)).toBeNull();
  });
});

describe("UsageRecordSchema", () => {
  it("accepts a complete record as the meter builds it", () => {
    expect(UsageRecordSchema.parse(RECORD)).toEqual(RECORD);
  });

  it.each(["prompt_tokens", "completion_tokens", "total_tokens", "cached_tokens", "reasoning_tokens"] as const)(
    "rejects a negative %s",
    (field) => {
      const result = UsageRecordSchema.safeParse({ ...RECORD, [field]: -1 });
      expect(result.success).toBe(false);
      expect(result.error?.issues.map((issue) => issue.path)).toEqual([[field]]);
    },
  );

  it("rejects an outcome it does not know", () => {
    const result = UsageRecordSchema.safeParse({ ...RECORD, outcome: "cancelled" });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path)).toEqual([["outcome"]]);
  });

  it("rejects a fractional token count and a started_at that is not an ISO datetime", () => {
    expect(UsageRecordSchema.safeParse({ ...RECORD, completion_tokens: 1.5 }).success).toBe(false);
    expect(UsageRecordSchema.safeParse({ ...RECORD, started_at: "yesterday" }).success).toBe(false);
  });
});

describe("estimatePromptTokens", () => {
  it("counts string message content at ~4 characters a token plus 4 per message", () => {
    // 14 chars → 4 tokens + 4; 9 chars → 3 tokens + 4
    const body = {
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "Say hello" },
      ],
    };
    expect(estimatePromptTokens(body)).toBe(8 + 7);
  });

  it("counts the text parts of array content and ignores image URLs and roles", () => {
    const body = {
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "abcd" },
            { type: "image_url", image_url: { url: "https://example.com/a-very-long-image-url.png" } },
            { type: "text", text: "efghijkl" },
          ],
        },
      ],
    };
    // 12 chars of text → 3 tokens, + 4 for the message
    expect(estimatePromptTokens(body)).toBe(7);
  });

  it("counts an empty message list as zero and a completion prompt or embeddings input by its text", () => {
    expect(estimatePromptTokens({ messages: [] })).toBe(0);
    expect(estimatePromptTokens({ prompt: "a".repeat(41) })).toBe(11);
    expect(estimatePromptTokens({ input: ["abcd", "efgh", "ij"] })).toBe(3);
  });
});

describe("usageFromTail", () => {
  const usage = { prompt_tokens: 4096, total_tokens: 4096 };

  function bigEmbeddingsBody(): string {
    const item = { object: "embedding", index: 0, embedding: Array.from({ length: 256 }, (_, i) => i / 1000) };
    const data = Array.from({ length: 400 }, (_, index) => ({ ...item, index }));
    return JSON.stringify({ object: "list", data, model: 'weird}{model"}', usage });
  }

  it("finds the usage object at the tail of a large JSON text with braces inside strings", () => {
    const text = bigEmbeddingsBody();
    expect(text.length).toBeGreaterThan(500_000);
    expect(usageFromTail(text)).toEqual(usage);
  });

  it("finds it from a tail cut in the middle of the body, and reads braces and escaped quotes inside its strings", () => {
    const withNote = { ...usage, note: 'a } b { c \\" d }}' };
    const text = JSON.stringify({ data: "x".repeat(100_000), usage: withNote });
    expect(usageFromTail(text.slice(-200))).toEqual(withNote);
  });

  it("returns null when there is no usage key or its object is cut off", () => {
    expect(usageFromTail('{"data":[{"a":1}]}')).toBeNull();
    expect(usageFromTail('{"usage":{"prompt_tokens":4,')).toBeNull();
  });

  it("is what JsonBodyCollector uses for a body above MAX_PARSED_BYTES, pushed in chunks", () => {
    const encoder = new TextEncoder();
    const filler = `{"object":"list","data":"${"x".repeat(MAX_PARSED_BYTES + 1024)}","model":"m","usage":{"prompt_tokens":123456,"total_tokens":123456}}`;
    const bytes = encoder.encode(filler);
    const collector = new JsonBodyCollector();
    for (let i = 0; i < bytes.length; i += 65_536) collector.push(bytes.slice(i, i + 65_536));
    const report = collector.report();
    expect(normalizeUsage(report.usage)).toMatchObject({ prompt_tokens: 123456, total_tokens: 123456, completion_tokens: 0 });
  });
});
