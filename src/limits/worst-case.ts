/**
 * The most a request can cost, reserved before it is forwarded.
 *
 * Prompt: a token covers at least one byte, so the body's UTF-8 byte length bounds
 * every string and every token id in it (escapes only make the text longer in the
 * body than decoded), plus PROMPT_TOKENS_PER_MESSAGE for the chat template's role
 * markers around each message and PROMPT_TOKENS_BASE for the prompt's own framing;
 * capped by the price's context_window, since a model takes no more. Never the
 * chars/4 estimate, which can undercount.
 *
 * Output: max_completion_tokens or max_tokens if given, else the price's
 * max_output_tokens, times `n` (choices each generate their own).
 */
export const PROMPT_TOKENS_PER_MESSAGE = 16;
export const PROMPT_TOKENS_BASE = 16;
/** `n` beyond this is refused by OpenAI-style APIs anyway; bounding it keeps the product finite. */
const MAX_CHOICES = 128;

export interface WorstCaseInput {
  bodyBytes: number;
  body: Record<string, unknown>;
  /** Embeddings generate no tokens. */
  generates: boolean;
  maxOutputTokens: number;
  contextWindow: number | null;
}

function positiveInteger(value: unknown): number | null {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0 ? value : null;
}

export function worstCaseTokens(input: WorstCaseInput): { prompt: number; completion: number } {
  const messages = Array.isArray(input.body.messages) ? input.body.messages.length : 0;
  const bound = input.bodyBytes + PROMPT_TOKENS_PER_MESSAGE * messages + PROMPT_TOKENS_BASE;
  const prompt = input.contextWindow === null ? bound : Math.min(bound, input.contextWindow);
  if (!input.generates) return { prompt, completion: 0 };
  const asked = positiveInteger(input.body.max_completion_tokens) ?? positiveInteger(input.body.max_tokens);
  const choices = Math.min(positiveInteger(input.body.n) ?? 1, MAX_CHOICES);
  return { prompt, completion: (asked ?? input.maxOutputTokens) * choices };
}
