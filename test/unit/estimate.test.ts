import { describe, expect, it } from "vitest";
import { estimatePromptTokens, fallbackUsage, MAX_ESTIMATED_VALUES } from "../../src/metering/estimate";

const DEEP = 100_000;
/** `[[[…"text"…]]]` built as a value, the way JSON.parse hands it over (which does not recurse). */
function deepArray(depth: number, inner: unknown = []): unknown {
  return JSON.parse(`${"[".repeat(depth)}${JSON.stringify(inner)}${"]".repeat(depth)}`);
}

describe("estimatePromptTokens", () => {
  it("counts chat text at 4 characters a token plus 4 tokens a message", () => {
    const body = {
      messages: [
        { role: "user", content: "y".repeat(80) },
        { role: "user", content: [{ type: "text", text: "z".repeat(8) }] },
      ],
    };
    expect(estimatePromptTokens(body)).toBe(4 + 20 + 4 + 2);
  });

  it("walks a message content nested 100,000 deep without overflowing the stack", () => {
    const body = {
      messages: [
        { role: "user", content: "x".repeat(40) },
        { role: "user", content: deepArray(DEEP, "abcd") },
      ],
    };
    expect(estimatePromptTokens(body)).toBe(4 + 10 + 4 + 1);
  });

  it("walks a prompt nested 100,000 deep, and a deep object chain of content parts", () => {
    let chain: unknown = "abcdefgh";
    for (let i = 0; i < DEEP; i++) chain = { content: chain };
    expect(estimatePromptTokens({ prompt: deepArray(DEEP, "abcdefgh") })).toBe(2);
    expect(estimatePromptTokens({ messages: [chain] })).toBe(4 + 2);
  });

  it("counts each token id as one token: prompt: [ids], input: [ids], input: [[ids]]", () => {
    expect(estimatePromptTokens({ prompt: [101, 2023, 2003, 1037, 3231] })).toBe(5);
    expect(estimatePromptTokens({ input: [7, 8, 9] })).toBe(3);
    expect(
      estimatePromptTokens({
        input: [
          [101, 2023],
          [2003, 1037, 3231, 102],
        ],
      }),
    ).toBe(6);
    expect(estimatePromptTokens({ input: ["abcd", [1, 2]] })).toBe(1 + 2);
  });

  it("never gives zero for a prompt that was sent, even one without text", () => {
    expect(estimatePromptTokens({ prompt: "" })).toBe(1);
    expect(estimatePromptTokens({ input: [[]] })).toBe(1);
    expect(estimatePromptTokens({ messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "u" } }] }] })).toBe(4);
  });

  it("gives zero only when there is no prompt at all", () => {
    expect(estimatePromptTokens({ model: "m" })).toBe(0);
    expect(estimatePromptTokens({ messages: [] })).toBe(0);
  });

  it("stops after MAX_ESTIMATED_VALUES values and still gives a figure", () => {
    const ids = new Array<number>(MAX_ESTIMATED_VALUES + 500_000).fill(1);
    const started = Date.now();
    const tokens = estimatePromptTokens({ prompt: ids });
    // Every value it looked at was counted: the root array and (about) MAX_ESTIMATED_VALUES ids.
    expect(tokens).toBeGreaterThan(MAX_ESTIMATED_VALUES - 10);
    expect(tokens).toBeLessThanOrEqual(MAX_ESTIMATED_VALUES);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("gives the same figure when asked again for the same body", () => {
    const body = { prompt: ["abcd".repeat(10)] };
    expect(estimatePromptTokens(body)).toBe(10);
    expect(estimatePromptTokens(body)).toBe(10);
  });
});

describe("fallbackUsage", () => {
  it("bills the estimated prompt and the counted completion where the endpoint costs tokens, marked estimated", () => {
    expect(fallbackUsage(() => 40, 7)).toEqual({
      usage: { prompt_tokens: 40, completion_tokens: 7, total_tokens: 47, cached_tokens: 0, reasoning_tokens: 0 },
      usageSource: "estimated",
    });
    expect(fallbackUsage(() => 40).usage.total_tokens).toBe(40);
  });

  it("bills no tokens, marked none, where the endpoint costs none (no prompt estimate given), whatever was counted", () => {
    expect(fallbackUsage(undefined, 12)).toEqual({
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, cached_tokens: 0, reasoning_tokens: 0 },
      usageSource: "none",
    });
  });
});
