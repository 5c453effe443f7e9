/**
 * Stands in for src/sse/sse-scanner.ts in the no-op-tap worker (esbuild aliases
 * `./sse-scanner` here): same interface, does nothing, so the usage tap's
 * plumbing can be measured without the scanning.
 */
export type EventListener = (endOffset: number, isUsageOnly: boolean) => void;

export class SseScanner {
  usage: Record<string, unknown> | null = null;
  dataEvents = 0;
  sawDone = true;
  error: unknown = null;

  constructor(private readonly onEvent?: EventListener) {}

  /** Reports each chunk as one whole, ordinary event, so the usage-only filter passes it on at once. */
  push(chunk: Uint8Array): void {
    this.onEvent?.(chunk.length, false);
  }

  end(): void {}

  finishReason(): string | null {
    return null;
  }
}
