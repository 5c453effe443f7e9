import type { SseScanner } from "./sse-scanner";

/**
 * When the client leaves mid-stream, upstream has often already sent the usage
 * chunk (the answer was finished) while the client had not read it yet. Billing
 * an estimate then bills less than Tensoras charged, so the tap first reads what
 * upstream has already sent, to the scanner only, for at most ABORT_DRAIN_MS and
 * ABORT_DRAIN_BYTES, and only then cancels upstream. Both bounds keep the
 * promise that upstream stops promptly (well under 1 s) after the client left:
 * reading on costs at most 50 ms of generation.
 */

/** How long after the client left the tap goes on reading upstream, looking for its usage. */
export const ABORT_DRAIN_MS = 50;
/** How many bytes upstream sends after the client left that the scanner reads at most (a usage chunk is a few hundred). */
export const ABORT_DRAIN_BYTES = 256 * 1024;

export type ChunkReader = Pick<ReadableStreamDefaultReader<Uint8Array>, "read" | "cancel">;
type ChunkRead = Promise<ReadableStreamReadResult<Uint8Array>>;

const TIMED_OUT = Symbol("abort drain timed out");

/**
 * Feeds the scanner what upstream sends until usage or `[DONE]` arrives, upstream
 * ends or fails, or a bound is reached. `pending` is a read the client's pull
 * already started: the tap has one reader, so that read is awaited, never doubled
 * (its chunk would otherwise be lost). `beforeScan` sees each chunk before the scanner
 * does (the usage-only filter keeps its offsets right; what it would send is dropped).
 * Never rejects: the caller stops upstream after it.
 */
export async function drainForUsage(
  reader: ChunkReader,
  pending: ChunkRead | null,
  scanner: SseScanner,
  beforeScan?: (chunk: Uint8Array) => void,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timedOut = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ABORT_DRAIN_MS);
  });
  let left = ABORT_DRAIN_BYTES;
  let read = pending;
  try {
    while (left > 0 && scanner.usage === null && !scanner.sawDone) {
      const result = await Promise.race([read ?? reader.read(), timedOut]);
      read = null;
      if (result === TIMED_OUT) return;
      if (result.done) {
        scanner.end();
        return;
      }
      // A piece beyond the bound is not scanned: the bound is on the scanner's work too.
      const seen = result.value.byteLength > left ? result.value.subarray(0, left) : result.value;
      left -= seen.byteLength;
      beforeScan?.(seen);
      scanner.push(seen);
    }
  } catch {
    // Upstream broke while draining (or the scanner did): what was read is kept, the rest is estimated.
  } finally {
    clearTimeout(timer);
  }
}
