import { z } from "zod";

/**
 * Exact decimal amounts of money, as the admin API takes them: a string such as "0.59"
 * or "50.00", never a JSON number (which is a binary float: 0.1 + 0.2 is not 0.3).
 *
 * Stable API (prices here, budgets in the limits code):
 *   parseMillionths("0.59")          -> 590000   (integer millionths; throws RangeError)
 *   formatMillionths(590000)         -> "0.59"   (formatMillionths(50_000_000, 2) -> "50.00")
 *   decimalProblem(text)             -> why `text` is refused, or null
 *   UsdDecimal                        zod: a valid decimal string (kept as the string)
 *   UsdMillionths                     zod: a valid decimal string, parsed to millionths
 *
 * A price in USD per million tokens, in millionths, is pico-USD per token; a budget in
 * USD, in millionths, is micro-USD. At most 6 decimals, so the parse is always exact.
 * At most 9 digits before the point: 999999999.999999 in millionths is below 2^53, so
 * every value is a safe integer `number`.
 */

export const MAX_DECIMALS = 6;
export const MAX_WHOLE_DIGITS = 9;
export const MILLIONTHS_PER_UNIT = 1_000_000;

/** Far beyond the grammar's 16 characters: refused before any pattern runs on it. */
const MAX_TEXT_LENGTH = 40;
const DECIMAL = /^(\d+)(?:\.(\d+))?$/;
const EXAMPLE = 'a decimal string like "0.59"';

/** Why `text` is not an accepted decimal amount, in words for a 400; null when it is one. */
export function decimalProblem(text: string): string | null {
  if (text === "") return `must be ${EXAMPLE}, not empty`;
  if (/^[+-]/.test(text)) return `must be ${EXAMPLE}, without a sign (amounts are never negative)`;
  if (/[eE]/.test(text)) return `must be ${EXAMPLE}, without an exponent`;
  if (text.length > MAX_TEXT_LENGTH) return `must have at most ${MAX_WHOLE_DIGITS} digits before the point and ${MAX_DECIMALS} after`;
  const match = DECIMAL.exec(text);
  if (!match) return `must be ${EXAMPLE}: digits, optionally a point and more digits`;
  const [, whole = "", fraction = ""] = match;
  if (fraction.length > MAX_DECIMALS) return `must have at most ${MAX_DECIMALS} decimals`;
  if (whole.length > MAX_WHOLE_DIGITS) return `must be below 1${"0".repeat(MAX_WHOLE_DIGITS)}`;
  if (whole.length > 1 && whole.startsWith("0")) return `must be ${EXAMPLE}, without leading zeros`;
  return null;
}

/** "0.59" -> 590000: the exact amount in millionths. Throws RangeError (the decimalProblem text) if refused. */
export function parseMillionths(text: string): number {
  const problem = decimalProblem(text);
  if (problem !== null) throw new RangeError(`${JSON.stringify(text.slice(0, 40))} ${problem}`);
  const [whole = "0", fraction = ""] = text.split(".");
  // Digit strings, not floats: 9 + 6 digits fit a safe integer exactly.
  return Number(whole) * MILLIONTHS_PER_UNIT + Number(fraction.padEnd(MAX_DECIMALS, "0"));
}

/**
 * 590000 -> "0.59", 0 -> "0", 1 -> "0.000001": the shortest exact form, with at least
 * `minDecimals` decimals (2 for money shown to people: 50000000 -> "50.00").
 */
export function formatMillionths(value: number | bigint, minDecimals = 0): string {
  if (typeof value === "number" && !Number.isSafeInteger(value)) throw new RangeError(`not a whole number of millionths: ${value}`);
  const amount = BigInt(value);
  const sign = amount < 0n ? "-" : "";
  const magnitude = amount < 0n ? -amount : amount;
  const unit = BigInt(MILLIONTHS_PER_UNIT);
  const whole = (magnitude / unit).toString();
  let fraction = (magnitude % unit).toString().padStart(MAX_DECIMALS, "0").replace(/0+$/, "");
  fraction = fraction.padEnd(Math.min(Math.max(minDecimals, 0), MAX_DECIMALS), "0");
  return fraction === "" ? `${sign}${whole}` : `${sign}${whole}.${fraction}`;
}

/** A decimal amount as a string; a JSON number is refused with a message that says why. */
export const UsdDecimal = z
  .string({
    error: (issue) => (issue.input === undefined ? "is required" : `must be ${EXAMPLE} (a string: JSON numbers are not exact)`),
  })
  .superRefine(function checkDecimal(text, ctx) {
    const problem = decimalProblem(text);
    if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
  });

/** UsdDecimal, parsed to integer millionths. */
export const UsdMillionths = UsdDecimal.transform(parseMillionths);
