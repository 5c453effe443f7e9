/** Token counts as the ledger keeps them. */
export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cached_tokens: number;
  reasoning_tokens: number;
}

export const NO_TOKENS: TokenUsage = {
  prompt_tokens: 0,
  completion_tokens: 0,
  total_tokens: 0,
  cached_tokens: 0,
  reasoning_tokens: 0,
};

function count(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
}

function nested(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/**
 * Reads an OpenAI-style `usage` object (chat, completions or embeddings).
 * Returns null when it holds no token count at all, so a missing usage is
 * never mistaken for a zero one.
 */
export function normalizeUsage(usage: unknown): TokenUsage | null {
  if (typeof usage !== "object" || usage === null) return null;
  const prompt = count(nested(usage, "prompt_tokens"));
  const completion = count(nested(usage, "completion_tokens"));
  const total = count(nested(usage, "total_tokens"));
  if (prompt === undefined && completion === undefined && total === undefined) return null;
  return {
    prompt_tokens: prompt ?? 0,
    completion_tokens: completion ?? 0,
    total_tokens: total ?? (prompt ?? 0) + (completion ?? 0),
    cached_tokens: count(nested(nested(usage, "prompt_tokens_details"), "cached_tokens")) ?? 0,
    reasoning_tokens: count(nested(nested(usage, "completion_tokens_details"), "reasoning_tokens")) ?? 0,
  };
}

/** Rough tokens for text of this many UTF-16 units: ~4 characters a token. */
export function estimateTokensFromChars(chars: number): number {
  return Math.ceil(chars / 4);
}
