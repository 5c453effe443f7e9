/**
 * What a request costs, exactly. Stable API:
 *
 *   costMicroUsd(usage, price) -> number   whole micro-USD, rounded once, up
 *   costPicoUsd(usage, price)  -> bigint   the exact cost before rounding
 *
 * cost = ceil((prompt − cached) × input + cached × cached_input + completion × output)
 * with each price in USD per million tokens, so tokens × USD/Mtok is micro-USD. Prices
 * are held as integer millionths of USD/Mtok (see ./decimal.ts), i.e. pico-USD per token:
 * the sum is an exact integer of pico-USD, divided by 10^6 once and rounded up, so no
 * request is ever billed less than it cost, and by less than one micro-USD more.
 *
 * Reasoning tokens are part of completion_tokens (OpenAI's usage shape) and are not
 * added again; cached tokens are part of prompt_tokens, clamped to [0, prompt_tokens].
 * A token count or price that is not a non-negative safe integer, or a cost beyond
 * Number.MAX_SAFE_INTEGER micro-USD, throws a RangeError rather than bill a wrong number.
 */

/** A price version's three rates, each in pico-USD per token (= USD per Mtok × 10^6). */
export interface TokenPrices {
  inputPicoPerToken: number;
  cachedInputPicoPerToken: number;
  outputPicoPerToken: number;
}

/** The token counts of a usage record that carry a price. */
export interface PricedUsage {
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
}

const PICO_PER_MICRO = 1_000_000n;

function whole(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} must be a non-negative safe integer, got ${value}`);
  return value;
}

/** The exact cost in pico-USD (10^-12 USD), before any rounding. */
export function costPicoUsd(usage: PricedUsage, price: TokenPrices): bigint {
  const prompt = whole(usage.prompt_tokens, "prompt_tokens");
  const completion = whole(usage.completion_tokens, "completion_tokens");
  const cached = Math.min(whole(usage.cached_tokens, "cached_tokens"), prompt);
  // BigInt from here: tokens × pico-USD passes 2^53 long before a cost does.
  return (
    BigInt(prompt - cached) * BigInt(whole(price.inputPicoPerToken, "input price")) +
    BigInt(cached) * BigInt(whole(price.cachedInputPicoPerToken, "cached input price")) +
    BigInt(completion) * BigInt(whole(price.outputPicoPerToken, "output price"))
  );
}

/** The cost in whole micro-USD: the exact cost rounded up, once. */
export function costMicroUsd(usage: PricedUsage, price: TokenPrices): number {
  const micro = (costPicoUsd(usage, price) + PICO_PER_MICRO - 1n) / PICO_PER_MICRO;
  if (micro > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`cost of ${micro} micro-USD is beyond a safe integer`);
  return Number(micro);
}
