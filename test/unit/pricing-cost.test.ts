import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { costMicroUsd, costPicoUsd, type TokenPrices } from "../../src/pricing/cost";
import { parseMillionths } from "../../src/pricing/decimal";
import { usageRecord } from "../helpers/usage-record";

/** The issue's example price: $0.59 in, $0.295 cached in, $0.79 out, per million tokens. */
const ISSUE_PRICE: TokenPrices = {
  inputPicoPerToken: parseMillionths("0.59"),
  cachedInputPicoPerToken: parseMillionths("0.295"),
  outputPicoPerToken: parseMillionths("0.79"),
};

const usage = (prompt_tokens: number, cached_tokens: number, completion_tokens: number) => ({
  prompt_tokens,
  cached_tokens,
  completion_tokens,
});

/** A fraction of BigInts, reduced: the oracle computes in USD straight from the decimal strings. */
interface Rational {
  num: bigint;
  den: bigint;
}
const gcd = (a: bigint, b: bigint): bigint => {
  let [x, y] = [a < 0n ? -a : a, b];
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
};
const rational = (num: bigint, den: bigint): Rational => {
  const g = gcd(num, den) || 1n;
  return { num: num / g, den: den / g };
};
const add = (a: Rational, b: Rational) => rational(a.num * b.den + b.num * a.den, a.den * b.den);
const times = (a: Rational, n: bigint) => rational(a.num * n, a.den);
/** "0.295" USD per Mtok as a fraction of a USD per token. */
const usdPerToken = (text: string): Rational => {
  const [whole = "", fraction = ""] = text.split(".");
  return rational(BigInt(whole + fraction), 10n ** BigInt(fraction.length) * 1_000_000n);
};
const ceil = (r: Rational) => (r.num + r.den - 1n) / r.den;

const priceText = fc
  .tuple(fc.integer({ min: 0, max: 9_999 }), fc.option(fc.stringMatching(/^\d{1,6}$/), { nil: undefined }))
  .map(([whole, fraction]) => (fraction === undefined ? String(whole) : `${whole}.${fraction}`));
const tokenCount = fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 2_000_000_000 }));

describe("costMicroUsd: worked examples at the issue's prices", () => {
  it("prices 800 fresh + 200 cached prompt tokens and 500 completion tokens at exactly 926 micro-USD", () => {
    // 800 × 0.59 + 200 × 0.295 + 500 × 0.79 = 472 + 59 + 395 = 926 micro-USD.
    expect(costMicroUsd(usage(1_000, 200, 500), ISSUE_PRICE)).toBe(926);
    expect(costPicoUsd(usage(1_000, 200, 500), ISSUE_PRICE)).toBe(926_000_000n);
  });

  it("rounds 8.27 micro-USD up to 9 (11 prompt of which 2 cached, 3 completion)", () => {
    // 9 × 0.59 + 2 × 0.295 + 3 × 0.79 = 5.31 + 0.59 + 2.37 = 8.27
    expect(costPicoUsd(usage(11, 2, 3), ISSUE_PRICE)).toBe(8_270_000n);
    expect(costMicroUsd(usage(11, 2, 3), ISSUE_PRICE)).toBe(9);
  });

  it("bills a single completion token (0.79 micro-USD) as 1 micro-USD, never 0", () => {
    expect(costMicroUsd(usage(0, 0, 1), ISSUE_PRICE)).toBe(1);
  });

  it("bills a million prompt tokens at the input price exactly: $0.59 = 590000 micro-USD", () => {
    expect(costMicroUsd(usage(1_000_000, 0, 0), ISSUE_PRICE)).toBe(590_000);
    expect(costMicroUsd(usage(1_000_000, 1_000_000, 1_000_000), ISSUE_PRICE)).toBe(295_000 + 790_000);
  });

  it("costs nothing for no tokens, and nothing at a zero price", () => {
    expect(costMicroUsd(usage(0, 0, 0), ISSUE_PRICE)).toBe(0);
    const free = { inputPicoPerToken: 0, cachedInputPicoPerToken: 0, outputPicoPerToken: 0 };
    expect(costMicroUsd(usage(123_456, 7, 89_012), free)).toBe(0);
  });

  it("rounds once over the whole sum, not once per part", () => {
    const half = { inputPicoPerToken: 500_000, cachedInputPicoPerToken: 500_000, outputPicoPerToken: 500_000 };
    // 0.5 + 0.5 = 1 micro-USD; rounding each part up would bill 2.
    expect(costMicroUsd(usage(1, 0, 1), half)).toBe(1);
  });

  it("does not add reasoning tokens again: they are already in completion_tokens", () => {
    const record = usageRecord({ prompt_tokens: 40, cached_tokens: 0, completion_tokens: 300, reasoning_tokens: 250 });
    expect(costMicroUsd(record, ISSUE_PRICE)).toBe(costMicroUsd(usage(40, 0, 300), ISSUE_PRICE));
    expect(costPicoUsd(record, ISSUE_PRICE)).toBe(40n * 590_000n + 300n * 790_000n);
  });

  it("clamps cached_tokens to prompt_tokens: more cached than prompt is billed as all cached", () => {
    expect(costMicroUsd(usage(100, 150, 0), ISSUE_PRICE)).toBe(costMicroUsd(usage(100, 100, 0), ISSUE_PRICE));
    expect(costPicoUsd(usage(100, 150, 0), ISSUE_PRICE)).toBe(100n * 295_000n);
  });

  it("refuses token counts and prices that are not non-negative safe integers", () => {
    expect(() => costMicroUsd(usage(-1, 0, 0), ISSUE_PRICE)).toThrow(RangeError);
    expect(() => costMicroUsd(usage(1.5, 0, 0), ISSUE_PRICE)).toThrow(RangeError);
    expect(() => costMicroUsd(usage(1, -1, 0), ISSUE_PRICE)).toThrow(RangeError);
    expect(() => costMicroUsd(usage(1, 0, Number.NaN), ISSUE_PRICE)).toThrow(RangeError);
    expect(() => costMicroUsd(usage(1, 0, 2 ** 53), ISSUE_PRICE)).toThrow(RangeError);
    expect(() => costMicroUsd(usage(1, 0, 0), { ...ISSUE_PRICE, inputPicoPerToken: -5 })).toThrow(RangeError);
  });

  it("refuses a cost beyond a safe integer of micro-USD rather than return an inexact number", () => {
    const dear = { inputPicoPerToken: 10 ** 15, cachedInputPicoPerToken: 10 ** 15, outputPicoPerToken: 10 ** 15 };
    expect(() => costMicroUsd(usage(2 ** 52, 0, 0), dear)).toThrow(RangeError);
    expect(costPicoUsd(usage(2 ** 52, 0, 0), dear)).toBe(2n ** 52n * 10n ** 15n);
  });
});

describe("costMicroUsd: properties", () => {
  it("equals ceil of the exact rational cost computed in USD from the decimal prices", () => {
    fc.assert(
      fc.property(
        priceText,
        priceText,
        priceText,
        tokenCount,
        tokenCount,
        tokenCount,
        (input, cachedInput, output, prompt, cached, completion) => {
          const price = {
            inputPicoPerToken: parseMillionths(input),
            cachedInputPicoPerToken: parseMillionths(cachedInput),
            outputPicoPerToken: parseMillionths(output),
          };
          const billedCached = BigInt(Math.min(cached, prompt));
          const usd = add(
            add(times(usdPerToken(input), BigInt(prompt) - billedCached), times(usdPerToken(cachedInput), billedCached)),
            times(usdPerToken(output), BigInt(completion)),
          );
          const exactMicro = times(usd, 1_000_000n);
          expect(BigInt(costMicroUsd(usage(prompt, cached, completion), price))).toBe(ceil(exactMicro));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("never undercounts, and overcounts by less than one micro-USD", () => {
    fc.assert(
      fc.property(priceText, priceText, tokenCount, tokenCount, tokenCount, (input, output, prompt, cached, completion) => {
        const price = {
          inputPicoPerToken: parseMillionths(input),
          cachedInputPicoPerToken: 0,
          outputPicoPerToken: parseMillionths(output),
        };
        const billed = BigInt(costMicroUsd(usage(prompt, cached, completion), price)) * 1_000_000n;
        const exact = costPicoUsd(usage(prompt, cached, completion), price);
        expect(billed >= exact).toBe(true);
        expect(billed - exact < 1_000_000n).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("never decreases when any token count grows", () => {
    fc.assert(
      fc.property(tokenCount, tokenCount, tokenCount, fc.integer({ min: 1, max: 1000 }), (prompt, cached, completion, more) => {
        const base = costMicroUsd(usage(prompt, cached, completion), ISSUE_PRICE);
        expect(costMicroUsd(usage(prompt, cached, completion + more), ISSUE_PRICE)).toBeGreaterThanOrEqual(base);
        // More prompt tokens, same cached: each extra one is billed at the input or the cached price, never below zero.
        expect(costMicroUsd(usage(prompt + more, cached, completion), ISSUE_PRICE)).toBeGreaterThanOrEqual(base);
      }),
    );
  });
});
