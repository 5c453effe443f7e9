import { estimateTokensFromChars, type TokenUsage } from "./usage";

/** OpenAI's documented per-message overhead in chat formats. */
const TOKENS_PER_MESSAGE = 4;

function textLength(value: unknown): number {
  if (typeof value === "string") return value.length;
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + textLength(item), 0);
  if (typeof value === "object" && value !== null) {
    const part = value as { text?: unknown; content?: unknown };
    return textLength(part.text) + textLength(part.content);
  }
  return 0;
}

/**
 * Prompt tokens for a request whose real usage never came back (client left,
 * upstream failed): the text of messages / prompt / input at ~4 characters a
 * token. Only used when marked `usage_source: "estimated"`.
 */
export function estimatePromptTokens(body: Record<string, unknown>): number {
  if (Array.isArray(body.messages)) {
    return body.messages.reduce((sum: number, message) => sum + TOKENS_PER_MESSAGE + estimateTokensFromChars(textLength(message)), 0);
  }
  return estimateTokensFromChars(textLength(body.prompt ?? body.input));
}

export function estimatedUsage(promptTokens: number, completionTokens: number): TokenUsage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    cached_tokens: 0,
    reasoning_tokens: 0,
  };
}
