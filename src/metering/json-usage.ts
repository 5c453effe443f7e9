/**
 * Reads `usage` from a non-streamed JSON response body. Bodies up to
 * MAX_PARSED_BYTES are parsed whole; beyond that (big embedding batches) only the
 * tail is kept, where OpenAI-style responses put `usage`, so memory stays bounded.
 */

export const MAX_PARSED_BYTES = 8 * 1024 * 1024;
const TAIL_BYTES = 64 * 1024;

export interface JsonBodyReport {
  usage: unknown;
  finishReason: string | null;
  /** Characters of generated text, for an estimate when usage is missing. */
  completionChars: number;
}

function finishReasonAndText(body: Record<string, unknown>): { finishReason: string | null; completionChars: number } {
  let finishReason: string | null = null;
  let completionChars = 0;
  if (Array.isArray(body.choices)) {
    for (const choice of body.choices as { finish_reason?: unknown; text?: unknown; message?: { content?: unknown } }[]) {
      if (finishReason === null && typeof choice?.finish_reason === "string") finishReason = choice.finish_reason;
      const text = choice?.message?.content ?? choice?.text;
      if (typeof text === "string") completionChars += text.length;
    }
  }
  return { finishReason, completionChars };
}

/** The `{…}` value of the last `"usage":` key in a JSON text fragment, or null. */
export function usageFromTail(text: string): unknown {
  const keyAt = text.lastIndexOf('"usage"');
  if (keyAt === -1) return null;
  const start = text.indexOf("{", keyAt);
  if (start === -1) return null;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "{") depth++;
    else if (ch === "}" && --depth === 0) {
      try {
        return JSON.parse(text.slice(start, i + 1));
      } catch {
        return null;
      }
    }
  }
  return null;
}

/**
 * Collects a non-streamed body chunk by chunk for its report: the whole body up to
 * MAX_PARSED_BYTES; beyond that only the tail, where OpenAI-style responses put
 * `usage`, so memory stays bounded whatever the body's size.
 */
export class JsonBodyCollector {
  private chunks: Uint8Array[] = [];
  private kept = 0;
  private total = 0;

  push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.kept += chunk.length;
    this.total += chunk.length;
    while (this.total > MAX_PARSED_BYTES && this.chunks.length > 1 && this.kept - (this.chunks[0] as Uint8Array).length >= TAIL_BYTES) {
      this.kept -= (this.chunks.shift() as Uint8Array).length;
    }
  }

  report(): JsonBodyReport {
    const decoder = new TextDecoder();
    const text = this.chunks.map((chunk) => decoder.decode(chunk, { stream: true })).join("") + decoder.decode();
    return this.total <= MAX_PARSED_BYTES ? reportFromText(text) : { usage: usageFromTail(text), finishReason: null, completionChars: 0 };
  }
}

/** The report for a body already read whole (answers up to 1 MiB are). */
export function jsonBodyReport(bytes: Uint8Array): JsonBodyReport {
  return reportFromText(new TextDecoder().decode(bytes));
}

function reportFromText(text: string): JsonBodyReport {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null) {
      const body = parsed as Record<string, unknown>;
      return { usage: body.usage ?? null, ...finishReasonAndText(body) };
    }
  } catch {
    // Not JSON after all: no usage to read.
  }
  return { usage: null, finishReason: null, completionChars: 0 };
}
