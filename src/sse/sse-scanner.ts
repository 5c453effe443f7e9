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
 * a blank line ends the event; one UTF-8 BOM at the start of the stream is skipped
 * (in the scanner's view only: the client gets it), even split across chunks.
 */

import { concatBytes } from "../bytes";

import {
  BOM,
  bomBytesAt,
  COLON,
  DATA,
  DONE,
  decoder,
  EMPTY,
  ERROR_WORD,
  EVENT,
  equalBytes,
  findUsageKey,
  finishReasonOf,
  hasUsageObject,
  LF,
  looksLikeErrorObject,
  MAX_PARSED_LINE_BYTES,
  parseObject,
  SPACE,
  searchableText,
  startsWithAt,
} from "./sse-bytes";

/**
 * Called at the end of every event block (each blank line, and the end of the
 * stream when an event is unterminated); `endOffset` is where the block ends in
 * the chunk just pushed (0 from `end()`). `isUsageOnly` is true for an event
 * with `"choices": []` and a usage object.
 */
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
  /** The blank line that ends an event was a CR at the end of a chunk. */
  private pendingBlankLine = false;
  private dataLines: Uint8Array[] = [];
  private dataLength = 0;
  private eventIsError = false;
  private hasData = false;
  private dataTooLong = false;
  /** The last two data payloads, kept as views to read finish_reason at the end. */
  private lastData: Uint8Array | null = null;
  private previousData: Uint8Array | null = null;
  /** The chunk being pushed, as searchable text, and where `"usage"` next occurs in it (-2: not searched yet). */
  private text = "";
  private nextUsageKey = -2;
  /** A data line of the current event has a `"usage"` key (or could: a line joined across chunks is not searched). */
  private mayHaveUsage = false;
  /** BOM bytes matched at the start of the stream so far, or -1 once the start is decided. */
  private bomMatched = 0;

  constructor(private readonly onEvent?: EventListener) {}

  push(chunk: Uint8Array): void {
    // An empty chunk must not settle a pending CR: its LF may still come.
    if (chunk.length === 0) return;
    let start = 0;
    if (this.bomMatched !== -1) {
      start = this.skipBom(chunk);
      if (this.bomMatched !== -1) return; // the whole chunk may still be the start of a BOM
    }
    const text = searchableText(chunk);
    this.text = text;
    this.nextUsageKey = -2;
    if (this.pendingCR) {
      this.pendingCR = false;
      if (chunk[0] === LF) start = 1;
      if (this.pendingBlankLine) {
        // The event ends after the LF that completes its CRLF, so a withheld event takes all its bytes.
        this.pendingBlankLine = false;
        this.endBlock(start);
      }
    }
    // Cached so that a stream with only one kind of line ending stays linear.
    let nextCR = -2;
    let nextLF = -2;
    while (start < chunk.length) {
      if (nextCR !== -1 && nextCR < start) nextCR = text.indexOf("\r", start);
      if (nextLF !== -1 && nextLF < start) nextLF = text.indexOf("\n", start);
      let end = nextLF;
      let after = nextLF + 1;
      if (nextCR !== -1 && (nextLF === -1 || nextCR < nextLF)) {
        end = nextCR;
        after = end + (chunk[end + 1] === LF ? 2 : 1);
        this.pendingCR = end + 1 === chunk.length;
      } else if (nextLF === -1) {
        this.appendPartial(chunk.subarray(start));
        break;
      }
      this.endLine(chunk.subarray(start, end), after, start);
      start = after;
    }
    this.text = "";
  }

  /**
   * Where the stream's text starts in its first chunk(s): after a BOM (the SSE spec
   * strips one), else at 0, the bytes held as a possible BOM then starting the first line.
   * The BOM is reported to the listener as a block of its own, never usage-only, so
   * the bytes withheld with a usage-only first event are that event's alone.
   */
  private skipBom(chunk: Uint8Array): number {
    const held = this.bomMatched;
    const matched = bomBytesAt(chunk, held);
    if (held + matched === BOM.length) {
      this.bomMatched = -1;
      this.onEvent?.(matched, false);
      return matched;
    }
    if (matched === chunk.length) {
      this.bomMatched = held + matched;
      return matched;
    }
    this.bomMatched = -1;
    if (held > 0) this.appendPartial(BOM.subarray(0, held));
    return 0;
  }

  /** The stream ended: an unterminated last event still counts (the spec drops it; a meter must not). */
  end(): void {
    if (this.pendingBlankLine) this.endBlock(0);
    this.pendingCR = this.pendingBlankLine = false;
    if (this.lineLength > 0) this.endLine(EMPTY, 0, -1);
    if (this.hasData || this.eventIsError) this.endBlock(0);
  }

  /** finish_reason from the last events, read once at the end of the stream. */
  finishReason(): string | null {
    return finishReasonOf(this.lastData) ?? finishReasonOf(this.previousData);
  }

  private appendPartial(part: Uint8Array): void {
    this.lineLength += part.length;
    if (this.lineTooLong) return;
    this.lineParts.push(part);
    if (this.lineLength > MAX_PARSED_LINE_BYTES) {
      // Keep only the head, enough to tell what kind of line it is.
      this.lineTooLong = true;
      let kept = 0;
      let count = 0;
      while (kept <= DATA.length && count < this.lineParts.length) kept += (this.lineParts[count++] as Uint8Array).length;
      this.lineParts.length = count;
    }
  }

  /** `startOffset`: where the line starts in the chunk being pushed (unused when the line began in an earlier chunk). */
  private endLine(tail: Uint8Array, endOffset: number, startOffset: number): void {
    const tooLong = this.lineTooLong || this.lineLength + tail.length > MAX_PARSED_LINE_BYTES;
    const joined = this.lineLength > 0;
    // Only a line split across chunks is copied, once, when it ends.
    const line = joined ? concatBytes(tooLong ? this.lineParts : [...this.lineParts, tail]) : tail;
    this.lineParts = [];
    this.lineLength = 0;
    this.lineTooLong = false;

    if (line.length === 0) {
      // A CR at the end of the chunk: the event ends once we know whether an LF follows.
      if (this.pendingCR) this.pendingBlankLine = true;
      else this.endBlock(endOffset);
      return;
    }
    if (line[0] === COLON) return;
    if (startsWithAt(line, 0, DATA) && (line.length === DATA.length || line[DATA.length] === COLON)) {
      this.hasData = true;
      const value = line.subarray(Math.min(line[DATA.length + 1] === SPACE ? DATA.length + 2 : DATA.length + 1, line.length));
      this.dataLength += value.length;
      if (tooLong || this.dataLength > MAX_PARSED_LINE_BYTES) this.dataTooLong = true;
      else {
        this.dataLines.push(value);
        this.mayHaveUsage ||= joined || this.usageKeyIn(startOffset, startOffset + line.length);
      }
    } else if (startsWithAt(line, 0, EVENT) && line[EVENT.length] === COLON) {
      const value = line.subarray(line[EVENT.length + 1] === SPACE ? EVENT.length + 2 : EVENT.length + 1);
      this.eventIsError = equalBytes(value, ERROR_WORD);
    }
  }

  /** Whether `"usage"` occurs in [from, to) of the chunk being pushed; linear over a chunk, however many lines it has. */
  private usageKeyIn(from: number, to: number): boolean {
    if (this.nextUsageKey !== -1 && this.nextUsageKey < from) this.nextUsageKey = findUsageKey(this.text, from);
    return this.nextUsageKey !== -1 && this.nextUsageKey < to;
  }

  /** A blank line ends an event block; the listener hears of every one, so it knows where each block ends. */
  private endBlock(endOffset: number): void {
    let usageOnly = false;
    if (this.hasData) {
      usageOnly = this.dispatch();
    } else if (this.eventIsError && this.error === null) {
      this.error = "error event";
    }
    this.eventIsError = false;
    this.onEvent?.(endOffset, usageOnly);
  }

  /** Reads one event's data; true when it is a usage-only event. */
  private dispatch(): boolean {
    const { dataLines: lines, dataTooLong: tooLong, mayHaveUsage } = this;
    const data = tooLong ? null : lines.length === 1 ? (lines[0] as Uint8Array) : concatBytes(lines, LF);
    this.dataLines = [];
    this.dataLength = 0;
    this.hasData = false;
    this.dataTooLong = false;
    this.mayHaveUsage = false;

    // A prefix match, as openai-node's `data.startsWith('[DONE]')`: `[DONE] ` with trailing spaces ends the stream too.
    if (data !== null && startsWithAt(data, 0, DONE)) {
      this.sawDone = true;
      return false;
    }
    this.dataEvents++;
    if (data === null) return false;
    this.previousData = this.lastData;
    this.lastData = data;
    if (this.eventIsError || looksLikeErrorObject(data)) {
      if (this.error === null) {
        const event = parseObject(data);
        this.error = event ? (event.error ?? event) : decoder.decode(data) || "error event";
      }
    } else if (mayHaveUsage && hasUsageObject(data)) {
      const event = parseObject(data);
      if (event && typeof event.usage === "object" && event.usage !== null) {
        this.usage = event.usage as Record<string, unknown>;
        return Array.isArray(event.choices) && event.choices.length === 0;
      }
    }
    return false;
  }
}
