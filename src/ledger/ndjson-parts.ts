import { concatBytes } from "../bytes";
import { EXPORT_COLUMNS, type Figures, hourRowsPage, type RawLedgerRow } from "../db/exports";
import { nextHour } from "./hours";
import { zeroFigures } from "./manifest";

/** One object per part stays well inside a Worker's memory: at most this many rows or uncompressed bytes. */
export const PART_MAX_ROWS = 100_000;
export const PART_MAX_BYTES = 32 * 1024 * 1024;
/** Rows read from D1 per query. */
const PAGE_ROWS = 5_000;
/** Lines are handed to gzip and the digest in pieces of about this size, not one by one. */
const FLUSH_BYTES = 256 * 1024;

export interface PartLimits {
  rows: number;
  bytes: number;
}

/** One rendered part: its figures, its NDJSON's size and SHA-256, and, when compressed, the gzip object. */
export interface RenderedPart extends Figures {
  index: number;
  ndjson_bytes: number;
  ndjson_sha256: string;
  gzip: { body: Uint8Array; sha256: string } | null;
}

const encoder = new TextEncoder();

export function hex(digest: ArrayBuffer): string {
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export async function sha256Hex(bytes: Uint8Array | ArrayBuffer): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", bytes));
}

/**
 * A row as one NDJSON line: every column, in EXPORT_COLUMNS order, `stream` as a boolean.
 * JSON.stringify escapes whatever text a client got into the row (a model name), so a
 * line is always one line.
 */
export function exportLine(row: RawLedgerRow): string {
  const record: Record<string, unknown> = {};
  for (const column of EXPORT_COLUMNS) record[column] = column === "stream" ? row.stream === 1 : row[column];
  return `${JSON.stringify(record)}\n`;
}

function countRow(figures: Figures, row: RawLedgerRow): void {
  figures.rows += 1;
  figures.prompt_tokens += Number(row.prompt_tokens);
  figures.completion_tokens += Number(row.completion_tokens);
  figures.total_tokens += Number(row.total_tokens);
  figures.cached_tokens += Number(row.cached_tokens);
  figures.reasoning_tokens += Number(row.reasoning_tokens);
  if (row.cost_micro_usd === null) figures.unpriced_rows += 1;
  else figures.cost_micro_usd += Number(row.cost_micro_usd);
  if (row.usage_source === "estimated") figures.estimated_rows += 1;
}

/** Builds one part: lines go to a SHA-256 digest and, if asked, through gzip into memory. */
class PartBuilder {
  readonly figures = zeroFigures();
  bytes = 0;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private readonly digest = new crypto.DigestStream("SHA-256");
  private readonly digestWriter = this.digest.getWriter();
  private readonly gzip: { writer: WritableStreamDefaultWriter<Uint8Array>; out: Promise<ArrayBuffer> } | null;

  constructor(compress: boolean) {
    if (!compress) {
      this.gzip = null;
      return;
    }
    const stream = new CompressionStream("gzip");
    // Read while writing: gzip's output must drain or its writes never resolve.
    this.gzip = { writer: stream.writable.getWriter(), out: new Response(stream.readable).arrayBuffer() };
  }

  async add(line: Uint8Array, row: RawLedgerRow): Promise<void> {
    this.pending.push(line);
    this.pendingBytes += line.byteLength;
    this.bytes += line.byteLength;
    countRow(this.figures, row);
    if (this.pendingBytes >= FLUSH_BYTES) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunk = concatBytes(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    await Promise.all([this.digestWriter.write(chunk), this.gzip?.writer.write(chunk)]);
  }

  async finish(index: number): Promise<RenderedPart> {
    await this.flush();
    await Promise.all([this.digestWriter.close(), this.gzip?.writer.close()]);
    const ndjsonSha256 = hex(await this.digest.digest);
    let gzip: RenderedPart["gzip"] = null;
    if (this.gzip) {
      const body = new Uint8Array(await this.gzip.out);
      gzip = { body, sha256: await sha256Hex(body) };
    }
    return { index, ...this.figures, ndjson_bytes: this.bytes, ndjson_sha256: ndjsonSha256, gzip };
  }
}

export interface RenderOptions {
  /** Only rows recorded after this (epoch ms); null: every row of the hour. */
  recordedAfter: number | null;
  /** Number of the first part. */
  firstIndex: number;
  compress: boolean;
  limits?: PartLimits;
}

/**
 * Renders the hour's rows, in (started_at, request_id) order, into parts, handing each
 * finished part to `onPart` before building the next (an hour never sits in memory whole).
 * The same rows always give the same lines, split at the same places.
 */
export async function renderHourParts(
  db: D1Database,
  hour: string,
  options: RenderOptions,
  onPart: (part: RenderedPart) => Promise<void>,
): Promise<{ parts: number; recordedThrough: number | null }> {
  const limits = options.limits ?? { rows: PART_MAX_ROWS, bytes: PART_MAX_BYTES };
  const range = { from: hour, to: nextHour(hour) };
  let index = options.firstIndex;
  let builder: PartBuilder | null = null;
  let recordedThrough: number | null = null;
  let after: { at: string; id: string } | null = null;
  for (;;) {
    const rows = await hourRowsPage(db, range, options.recordedAfter, after, PAGE_ROWS);
    for (const row of rows) {
      const line = encoder.encode(exportLine(row));
      if (builder && (builder.figures.rows >= limits.rows || builder.bytes + line.byteLength > limits.bytes)) {
        await onPart(await builder.finish(index++));
        builder = null;
      }
      builder ??= new PartBuilder(options.compress);
      await builder.add(line, row);
      const recordedAt = row.recorded_at === null ? null : Number(row.recorded_at);
      if (recordedAt !== null && (recordedThrough === null || recordedAt > recordedThrough)) recordedThrough = recordedAt;
    }
    const last = rows.at(-1);
    if (rows.length < PAGE_ROWS || !last) break;
    after = { at: String(last.started_at), id: String(last.request_id) };
  }
  if (builder) await onPart(await builder.finish(index++));
  return { parts: index - options.firstIndex, recordedThrough };
}
