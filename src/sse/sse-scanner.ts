/**
 * Reads an OpenAI-style SSE stream on the side, on bytes, for what the meter
 * needs: the last non-null `usage`, the finish reason, `[DONE]`, error events
 * and how many data events went by (for estimates when the stream is cut).
 *
 * It never changes or copies the stream: it keeps views into the chunks it is
 * given. Only events that can hold usage or an error are decoded and parsed;
 * a line split across chunks is joined once, when it ends.
 *
 * Line handling follows the SSE spec (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
 * lines end in LF, CRLF or CR; a CR at the end of a chunk is undecided until the
 * next byte; `data:` may or may not be followed by one space; `:` starts a comment;
 * a blank line ends the event.
 */

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const QUOTE = 0x22;
const OPEN_BRACE = 0x7b;
const LOWER_U = 0x75;

const DATA = bytes("data");
const EVENT = bytes("event");
const DONE = bytes("[DONE]");
const ERROR_WORD = bytes("error");
const SAGE_QUOTE = bytes('sage"');
const ERROR_KEY = bytes('"error"');

/** A data line longer than this is not kept for parsing (memory stays bounded). */
export const MAX_PARSED_LINE_BYTES = 4 * 1024 * 1024;

const EMPTY = new Uint8Array(0);
const decoder = new TextDecoder();

function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function startsWithAt(haystack: Uint8Array, at: number, needle: Uint8Array): boolean {
  if (at < 0 || at + needle.length > haystack.length) return false;
  for (let k = 0; k < needle.length; k++) if (haystack[at + k] !== needle[k]) return false;
  return true;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && startsWithAt(a, 0, b);
}

function skipWhitespace(data: Uint8Array, at: number): number {
  let i = at;
  while (i < data.length) {
    const c = data[i];
    if (c !== SPACE && c !== 0x09 && c !== LF && c !== CR) break;
    i++;
  }
  return i;
}

/** True when the JSON text has a `"usage"` key whose value is an object (not null). */
export function hasUsageObject(data: Uint8Array): boolean {
  // Anchor on 'u', rarer in chunk JSON than '"'; `"usage"` inside a JSON string
  // would be written `\"usage\"`, so an unescaped match is a key or a whole value.
  for (let i = data.indexOf(LOWER_U); i !== -1; i = data.indexOf(LOWER_U, i + 1)) {
    if (data[i - 1] !== QUOTE || !startsWithAt(data, i + 1, SAGE_QUOTE)) continue;
    let j = skipWhitespace(data, i + 1 + SAGE_QUOTE.length);
    if (data[j] !== COLON) continue;
    j = skipWhitespace(data, j + 1);
    if (data[j] === OPEN_BRACE) return true;
  }
  return false;
}

/** True when the JSON text is an object whose first key is "error" (`{"error": …}`). */
function looksLikeErrorObject(data: Uint8Array): boolean {
  const i = skipWhitespace(data, 0);
  return data[i] === OPEN_BRACE && startsWithAt(data, skipWhitespace(data, i + 1), ERROR_KEY);
}

function parseObject(data: Uint8Array): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(decoder.decode(data));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function concat(parts: Uint8Array[], length: number, separator?: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  parts.forEach((part, index) => {
    if (separator !== undefined && index > 0) out[at++] = separator;
    out.set(part, at);
    at += part.length;
  });
  return out;
}

function finishReasonOf(event: Record<string, unknown> | null): string | null {
  const choices = event?.choices;
  if (!Array.isArray(choices)) return null;
  for (const choice of choices) {
    const reason = (choice as { finish_reason?: unknown } | null)?.finish_reason;
    if (typeof reason === "string") return reason;
  }
  return null;
}

/** Called once per completed event; `endOffset` is where it ends in the chunk just pushed. */
export type EventListener = (endOffset: number, isUsageOnly: boolean) => void;

export class SseScanner {
  /** The last non-null `usage` object seen. */
  usage: Record<string, unknown> | null = null;
  /** Data events other than `[DONE]`: roughly one per generated token. */
  dataEvents = 0;
  sawDone = false;
  /** The first error event's `error` value (or the whole event when it has none). */
  error: unknown = null;

  private lineParts: Uint8Array[] = [];
  private lineLength = 0;
  private lineTooLong = false;
  private pendingCR = false;
  private dataLines: Uint8Array[] = [];
  private dataLength = 0;
  private eventIsError = false;
  private hasData = false;
  private dataTooLong = false;
  /** The last two data payloads, kept as views to read finish_reason at the end. */
  private lastData: Uint8Array | null = null;
  private previousData: Uint8Array | null = null;

  constructor(private readonly onEvent?: EventListener) {}

  push(chunk: Uint8Array): void {
    let start = 0;
    if (this.pendingCR) {
      this.pendingCR = false;
      if (chunk[0] === LF) start = 1;
    }
    let nextCR = chunk.indexOf(CR, start);
    while (start < chunk.length) {
      const nextLF = chunk.indexOf(LF, start);
      if (nextCR !== -1 && nextCR < start) nextCR = chunk.indexOf(CR, start);
      let end: number;
      let after: number;
      if (nextCR !== -1 && (nextLF === -1 || nextCR < nextLF)) {
        end = nextCR;
        if (end + 1 === chunk.length) {
          this.pendingCR = true;
          after = end + 1;
        } else {
          after = chunk[end + 1] === LF ? end + 2 : end + 1;
        }
      } else if (nextLF !== -1) {
        end = nextLF;
        after = end + 1;
      } else {
        this.appendPartial(chunk.subarray(start));
        return;
      }
      this.endLine(chunk.subarray(start, end), after);
      start = after;
    }
  }

  /** The stream ended: an unterminated last event still counts (the spec drops it; a meter must not). */
  end(): void {
    if (this.lineLength > 0) this.endLine(EMPTY, 0);
    if (this.hasData) this.dispatch(0);
  }

  /** finish_reason from the last events, read once at the end of the stream. */
  finishReason(): string | null {
    return finishReasonOf(this.lastData && parseObject(this.lastData)) ?? finishReasonOf(this.previousData && parseObject(this.previousData));
  }

  private appendPartial(part: Uint8Array): void {
    this.lineLength += part.length;
    if (this.lineTooLong) return;
    if (this.lineLength > MAX_PARSED_LINE_BYTES) {
      // Keep only the head, enough to tell what kind of line it is.
      this.lineTooLong = true;
      this.lineParts.length = 1;
      return;
    }
    this.lineParts.push(part);
  }

  private endLine(tail: Uint8Array, endOffset: number): void {
    const wasSplit = this.lineLength > 0;
    const tooLong = this.lineTooLong || this.lineLength + tail.length > MAX_PARSED_LINE_BYTES;
    let line = tail;
    if (wasSplit) {
      line = tooLong ? (this.lineParts[0] as Uint8Array) : concat([...this.lineParts, tail], this.lineLength + tail.length);
    }
    this.lineParts = [];
    this.lineLength = 0;
    this.lineTooLong = false;

    if (line.length === 0 && !wasSplit) {
      if (this.hasData || this.eventIsError) this.dispatch(endOffset);
      return;
    }
    if (line[0] === COLON) return;
    if (startsWithAt(line, 0, DATA) && (line.length === DATA.length || line[DATA.length] === COLON)) {
      this.hasData = true;
      if (tooLong) {
        this.dataTooLong = true;
        return;
      }
      let valueStart = DATA.length + 1;
      if (line[valueStart] === SPACE) valueStart++;
      const value = line.subarray(Math.min(valueStart, line.length));
      this.dataLines.push(value);
      this.dataLength += value.length;
    } else if (startsWithAt(line, 0, EVENT) && line[EVENT.length] === COLON) {
      const value = line.subarray(line[EVENT.length + 1] === SPACE ? EVENT.length + 2 : EVENT.length + 1);
      this.eventIsError = equalBytes(value, ERROR_WORD);
    }
  }

  private dispatch(endOffset: number): void {
    const lines = this.dataLines;
    const data =
      lines.length === 0 ? EMPTY : lines.length === 1 ? (lines[0] as Uint8Array) : concat(lines, this.dataLength + lines.length - 1, LF);
    const tooLong = this.dataTooLong;
    const eventIsError = this.eventIsError;
    this.dataLines = [];
    this.dataLength = 0;
    this.hasData = false;
    this.dataTooLong = false;
    this.eventIsError = false;

    let usageOnly = false;
    if (equalBytes(data, DONE)) {
      this.sawDone = true;
    } else {
      this.dataEvents++;
      if (!tooLong) {
        this.previousData = this.lastData;
        this.lastData = data;
        if (eventIsError || looksLikeErrorObject(data)) {
          const event = parseObject(data);
          if (this.error === null) this.error = event?.error ?? event ?? "error event";
        } else if (hasUsageObject(data)) {
          const event = parseObject(data);
          if (event && typeof event.usage === "object" && event.usage !== null) {
            this.usage = event.usage as Record<string, unknown>;
            usageOnly = Array.isArray(event.choices) && event.choices.length === 0;
          }
        }
      }
    }
    this.onEvent?.(endOffset, usageOnly);
  }
}
