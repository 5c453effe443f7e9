import type { SseScanner } from "./sse-scanner";

/**
 * When the client leaves mid-stream, upstream has often already sent the usage
 * chunk (the answer was finished) while the client had not read it yet. Billing
 * an estimate then bills less than Tensoras charged, so the tap first reads what
 * upstream has already sent, to the scanner only, and only then cancels upstream.
 *
 * "Already sent" is told by waiting: what is buffered arrives at once, so the drain
 * stops after ABORT_DRAIN_MS of upstream silence. The bound is per read, not for the
 * whole drain: measured by `npm run soak`, one isolate draining 50 aborted streams at
 * once got through a quarter of what upstream had sent within 50 ms in all (62 % of
 * the aborted tokens billed), because the drains queue on its one thread. The whole
 * drain still stops after ABORT_DRAIN_MAX_MS and ABORT_DRAIN_BYTES, so upstream is
 * stopped within well under 1 s of the client leaving.
 */

/** How long the drain waits for the next piece from upstream: longer silence means it has sent all it had. */
export const ABORT_DRAIN_MS = 50;
/** The most the drain may take in all, however busy the isolate (upstream must stop within 1 s of the abort). */
export const ABORT_DRAIN_MAX_MS = 500;
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
  let total: ReturnType<typeof setTimeout> | null = null;
  const outOfTime = new Promise<typeof TIMED_OUT>((resolve) => {
    total = setTimeout(() => resolve(TIMED_OUT), ABORT_DRAIN_MAX_MS);
  });
  let silence: ReturnType<typeof setTimeout> | null = null;
  let left = ABORT_DRAIN_BYTES;
  let read = pending;
  try {
    while (left > 0 && scanner.usage === null && !scanner.sawDone) {
      const silent = new Promise<typeof TIMED_OUT>((resolve) => {
        silence = setTimeout(() => resolve(TIMED_OUT), ABORT_DRAIN_MS);
      });
      const result = await Promise.race([read ?? reader.read(), outOfTime, silent]);
      clearTimeout(silence);
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
    clearTimeout(silence);
    clearTimeout(total);
  }
}
