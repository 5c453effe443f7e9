import { estimateTokensFromChars, NO_TOKENS, type TokenUsage } from "./usage";

/** OpenAI's documented per-message overhead in chat formats. */
const TOKENS_PER_MESSAGE = 4;
/**
 * Values one estimate looks at, at most. A body within MAX_REQUEST_BYTES holds a
 * few million values at the very most; a real prompt holds far fewer. Past the
 * bound the estimate counts what it saw (a lower bound, still not zero).
 */
export const MAX_ESTIMATED_VALUES = 1_000_000;

interface PromptSize {
  /** Characters of text. */
  chars: number;
  /** Numbers where a prompt may be token ids (`prompt: [ids…]`, `input: [[ids…]]`): one token each. */
  ids: number;
}

interface Walk {
  /** Values the walk may still visit (shared by every part of one body). */
  budget: number;
}

/**
 * The text (and, where `countIds`, the token ids) inside a prompt value: strings,
 * arrays of anything, and objects' `text` / `content` (chat content parts). An
 * explicit stack, never recursion: the depth is the client's choice.
 */
function promptSize(root: unknown, walk: Walk, countIds: boolean): PromptSize {
  const size: PromptSize = { chars: 0, ids: 0 };
  const stack: unknown[] = [root];
  while (stack.length > 0 && walk.budget > 0) {
    const value = stack.pop();
    walk.budget--;
    if (typeof value === "string") size.chars += value.length;
    else if (typeof value === "number") size.ids += countIds ? 1 : 0;
    else if (Array.isArray(value)) pushItems(value, stack, size, walk, countIds);
    else if (typeof value === "object" && value !== null) {
      const part = value as { text?: unknown; content?: unknown };
      if (part.text !== undefined) stack.push(part.text);
      if (part.content !== undefined) stack.push(part.content);
    }
  }
  return size;
}

/** Counts an array's strings and numbers in place (a list of ids is one tight loop); only containers go on the stack. */
function pushItems(items: unknown[], stack: unknown[], size: PromptSize, walk: Walk, countIds: boolean): void {
  for (let i = 0; i < items.length && walk.budget > 0; i++, walk.budget--) {
    const item = items[i];
    if (typeof item === "string") size.chars += item.length;
    else if (typeof item === "number") size.ids += countIds ? 1 : 0;
    else if (typeof item === "object" && item !== null) stack.push(item);
  }
}

function chatPromptTokens(messages: unknown[], walk: Walk): number {
  let tokens = 0;
  for (let i = 0; i < messages.length; i++) {
    const { chars } = promptSize(messages[i], walk, false);
    tokens += TOKENS_PER_MESSAGE + estimateTokensFromChars(chars);
  }
  return tokens;
}

const estimates = new WeakMap<object, number>();

/**
 * Prompt tokens for a request whose real usage never came back (client left,
 * upstream failed, or the request is only starting): the text of messages /
 * prompt / input at ~4 characters a token, each token id as one token, and at
 * least one token for any prompt sent. Only used when marked `usage_source:
 * "estimated"`.
 *
 * Cheap and never throws, whatever the body: bounded work (MAX_ESTIMATED_VALUES),
 * no recursion, and the figure is kept per body, so asking again costs nothing.
 */
export function estimatePromptTokens(body: Record<string, unknown>): number {
  const known = estimates.get(body);
  if (known !== undefined) return known;
  const walk: Walk = { budget: MAX_ESTIMATED_VALUES };
  let tokens: number;
  if (Array.isArray(body.messages)) {
    tokens = chatPromptTokens(body.messages, walk);
  } else {
    const prompt = body.prompt ?? body.input;
    const { chars, ids } = promptSize(prompt, walk, true);
    // A figure is never silently zero: a prompt that was sent (even "" or only structure) costs something.
    tokens = prompt === undefined || prompt === null ? 0 : Math.max(1, estimateTokensFromChars(chars) + ids);
  }
  estimates.set(body, tokens);
  return tokens;
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

/**
 * What a request is billed when Tensoras got it but no usage came back (the client left, the
 * answer broke off or timed out, the isolate died): where its endpoint costs tokens
 * (`estimatePrompt` given), the prompt estimated and the completion tokens counted; else none.
 * The one decision every such path makes (src/proxy/relay.ts, upstream.ts, src/ledger/sweep.ts).
 */
export function fallbackUsage(
  estimatePrompt: (() => number) | undefined,
  completionTokens = 0,
): { usage: TokenUsage; usageSource: "estimated" | "none" } {
  if (estimatePrompt === undefined) return { usage: NO_TOKENS, usageSource: "none" };
  return { usage: estimatedUsage(estimatePrompt(), completionTokens), usageSource: "estimated" };
}
