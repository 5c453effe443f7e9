import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decimalProblem, formatMillionths, parseMillionths, UsdDecimal, UsdMillionths } from "../../src/pricing/decimal";

/** Millionths straight from the digits, with no arithmetic on fractions: the oracle. */
function oracleMillionths(text: string): bigint {
  const [whole = "", fraction = ""] = text.split(".");
  return BigInt(whole + fraction.padEnd(6, "0"));
}

const validDecimal = fc
  .tuple(fc.oneof(fc.constant("0"), fc.stringMatching(/^[1-9]\d{0,8}$/)), fc.option(fc.stringMatching(/^\d{1,6}$/), { nil: undefined }))
  .map(([whole, fraction]) => (fraction === undefined ? whole : `${whole}.${fraction}`));

describe("parseMillionths", () => {
  it("reads the issue's and a budget's amounts exactly", () => {
    expect(parseMillionths("0.59")).toBe(590_000);
    expect(parseMillionths("0.295")).toBe(295_000);
    expect(parseMillionths("0.79")).toBe(790_000);
    expect(parseMillionths("50.00")).toBe(50_000_000);
    expect(parseMillionths("0")).toBe(0);
    expect(parseMillionths("1")).toBe(1_000_000);
    expect(parseMillionths("0.000001")).toBe(1);
  });

  it("reads the largest accepted amount as a safe integer", () => {
    expect(parseMillionths("999999999.999999")).toBe(999_999_999_999_999);
    expect(Number.isSafeInteger(parseMillionths("999999999.999999"))).toBe(true);
  });

  it("equals the digits read as an integer for every accepted decimal (no float ever rounds it)", () => {
    fc.assert(
      fc.property(validDecimal, (text) => {
        expect(decimalProblem(text)).toBeNull();
        expect(BigInt(parseMillionths(text))).toBe(oracleMillionths(text));
      }),
    );
  });

  it.each([
    ["1e3", /exponent/],
    ["1E-3", /exponent/],
    ["-1", /sign/],
    ["+1", /sign/],
    ["-0.5", /sign/],
    ["0.1234567", /at most 6 decimals/],
    ["abc", /digits/],
    ["", /not empty/],
    [" 1", /digits/],
    ["1 ", /digits/],
    ["1.", /digits/],
    [".5", /digits/],
    ["1,5", /digits/],
    ["0x10", /digits/],
    ["Infinity", /digits/],
    ["NaN", /digits/],
    ["١٢", /digits/],
    ["01", /leading zeros/],
    ["00.5", /leading zeros/],
    ["1000000000", /below 1000000000/],
    ["9".repeat(41), /at most 9 digits/],
  ])("refuses %j, saying why", (text, why) => {
    expect(decimalProblem(text)).toMatch(why);
    expect(() => parseMillionths(text)).toThrow(RangeError);
    expect(() => parseMillionths(text)).toThrow(why);
  });
});

describe("formatMillionths", () => {
  it("writes the shortest exact decimal", () => {
    expect(formatMillionths(590_000)).toBe("0.59");
    expect(formatMillionths(295_000)).toBe("0.295");
    expect(formatMillionths(0)).toBe("0");
    expect(formatMillionths(1)).toBe("0.000001");
    expect(formatMillionths(50_000_000)).toBe("50");
    expect(formatMillionths(999_999_999_999_999)).toBe("999999999.999999");
  });

  it("pads to minDecimals for money shown to people, never dropping digits", () => {
    expect(formatMillionths(50_000_000, 2)).toBe("50.00");
    expect(formatMillionths(12_345_678, 2)).toBe("12.345678");
    expect(formatMillionths(0, 2)).toBe("0.00");
  });

  it("takes a bigint beyond 2^53 and a negative amount", () => {
    expect(formatMillionths(12_345_678_901_234_567_890n)).toBe("12345678901234.56789");
    expect(formatMillionths(-1_500_000)).toBe("-1.5");
  });

  it("refuses a number that is not a whole, safe count of millionths", () => {
    expect(() => formatMillionths(0.5)).toThrow(RangeError);
    expect(() => formatMillionths(2 ** 53)).toThrow(RangeError);
    expect(() => formatMillionths(Number.NaN)).toThrow(RangeError);
  });

  it("round-trips every amount: parse(format(n)) is n", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999_999_999_999 }), (n) => {
        expect(parseMillionths(formatMillionths(n))).toBe(n);
      }),
    );
  });

  it("writes back the canonical form of what was parsed (trailing zeros dropped)", () => {
    fc.assert(
      fc.property(validDecimal, (text) => {
        const canonical = text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
        expect(formatMillionths(parseMillionths(text))).toBe(canonical);
      }),
    );
  });
});

describe("UsdDecimal and UsdMillionths", () => {
  it("accept a decimal string; UsdMillionths parses it", () => {
    expect(UsdDecimal.parse("0.59")).toBe("0.59");
    expect(UsdMillionths.parse("0.59")).toBe(590_000);
  });

  it("refuse a JSON number with a message saying to send a string", () => {
    const result = UsdDecimal.safeParse(0.59);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/decimal string like "0.59".*JSON numbers are not exact/);
  });

  it("refuse a bad decimal with decimalProblem's message, as one issue", () => {
    const result = UsdMillionths.safeParse("0.1234567");
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.message)).toEqual(["must have at most 6 decimals"]);
  });
});
