import { describe, expect, it, vi } from "vitest";
import { ABORT_DRAIN_BYTES, ABORT_DRAIN_MAX_MS, ABORT_DRAIN_MS } from "../../src/sse/abort-drain";
import { usageTap } from "../../src/sse/usage-tap";
import { CHAT_PLAIN, CHAT_PLAIN_EXPECTED } from "../fixtures/streams/chat-plain";
import { chunksOf, concatBytes, encode, readChunks, splitAt, upstreamOf } from "../fixtures/streams/chunks";
import {
  USAGE_ONLY_EVENT,
  WITH_USAGE_ONLY_CHUNK,
  WITH_USAGE_ONLY_CHUNK_EXPECTED,
  WITH_USAGE_ONLY_CHUNK_WITHHELD,
} from "../fixtures/streams/usage-only";

const decoder = new TextDecoder();
const text = (chunks: Uint8Array[]) => decoder.decode(concatBytes(chunks));
const perEvent = (stream: string) => stream.split(/(?<=\n\n)/).map(encode);

/** An upstream that serves events on demand, counts pulls and records its cancellation. */
function countingUpstream(events: number) {
  const state = { pulls: 0, cancelled: false as boolean, cancelReason: undefined as unknown };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      state.pulls++;
      if (state.pulls > events) controller.close();
      else
        controller.enqueue(
          encode(
            `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"t${state.pulls}"},"finish_reason":null}]}\n\n`,
          ),
        );
    },
    cancel(reason) {
      state.cancelled = true;
      state.cancelReason = reason;
    },
  });
  return { stream, state };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An upstream that has sent these chunks (they wait in its queue, unread) and then
 * keeps the connection open without a word, recording its cancellation.
 * `later`: chunks it sends afterwards, one per pull, `delayMs` apart.
 */
function heldOpenUpstream(sent: Uint8Array[], later: Uint8Array[] = [], delayMs = 20) {
  const state = { cancelled: false, pulls: 0 };
  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        for (const chunk of sent) controller.enqueue(chunk);
      },
      async pull(controller) {
        const chunk = later[state.pulls++];
        if (chunk === undefined) return new Promise<void>(() => {}); // silent from now on
        await sleep(delayMs);
        controller.enqueue(chunk);
      },
      cancel() {
        state.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}

const USAGE = CHAT_PLAIN_EXPECTED.usage;
const contentEvent = (content: string, finish: string | null = null) =>
  `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":${JSON.stringify(finish)}}]}\n\n`;
const usageChunk = `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[],"usage":${JSON.stringify(USAGE)}}\n\n`;

describe("usageTap", () => {
  it("passes the upstream bytes through unchanged, chunk for chunk, when not withholding", async () => {
    for (const input of [perEvent(CHAT_PLAIN), perEvent(WITH_USAGE_ONLY_CHUNK), splitAt(encode(CHAT_PLAIN), [3, 200, 201, 650, 900])]) {
      const tap = usageTap(upstreamOf(input), { withholdUsageOnly: false });
      const out = await readChunks(tap.body);
      expect(out).toEqual(input);
      expect((await tap.done).end).toBe("completed");
    }
  });

  it("reports usage, finish reason, event count and when the first chunk came", async () => {
    const before = Date.now();
    const tap = usageTap(upstreamOf(perEvent(CHAT_PLAIN)), { withholdUsageOnly: false });
    await readChunks(tap.body);
    const report = await tap.done;
    expect(report.end).toBe("completed");
    expect(report.scanner.usage).toEqual(CHAT_PLAIN_EXPECTED.usage);
    expect(report.scanner.finishReason()).toBe("stop");
    expect(report.scanner.dataEvents).toBe(CHAT_PLAIN_EXPECTED.dataEvents);
    expect(report.firstChunkAt).toBeGreaterThanOrEqual(before);
  });

  it("withholds the usage-only event, and only it, and still reports the usage", async () => {
    const withheldAt = WITH_USAGE_ONLY_CHUNK.indexOf(USAGE_ONLY_EVENT);
    const bytes = encode(WITH_USAGE_ONLY_CHUNK);
    const at = encode(WITH_USAGE_ONLY_CHUNK.slice(0, withheldAt)).length;
    const size = encode(USAGE_ONLY_EVENT).length;
    const splits: number[][] = [
      [], // one chunk
      perEvent(WITH_USAGE_ONLY_CHUNK).map((_, i, all) => all.slice(0, i).reduce((n, c) => n + c.length, 0)),
      [at + 3, at + 40, at + size - 1], // the event in pieces, the last one with its final \n
      [at - 10, at + size + 4], // shares chunks with its neighbours
    ];
    for (const offsets of splits) {
      const tap = usageTap(upstreamOf(splitAt(bytes, offsets)), { withholdUsageOnly: true });
      expect(text(await readChunks(tap.body))).toBe(WITH_USAGE_ONLY_CHUNK_WITHHELD);
      const report = await tap.done;
      expect(report.end).toBe("completed");
      expect(report.scanner.usage).toEqual(WITH_USAGE_ONLY_CHUNK_EXPECTED.usage);
      expect(report.scanner.finishReason()).toBe("stop");
    }
  });

  it("withholds a usage-only event in a CRLF stream split between its last \\r and \\n", async () => {
    const crlf = WITH_USAGE_ONLY_CHUNK.replaceAll("\n", "\r\n");
    const event = USAGE_ONLY_EVENT.replaceAll("\n", "\r\n");
    const bytes = encode(crlf);
    const eventEnd = encode(crlf.slice(0, crlf.indexOf(event) + event.length)).length;
    const tap = usageTap(upstreamOf(splitAt(bytes, [eventEnd - 1])), { withholdUsageOnly: true });
    expect(text(await readChunks(tap.body))).toBe(crlf.replace(event, ""));
  });

  it("keeps a `: ping` comment that precedes the withheld usage-only event", async () => {
    const input = WITH_USAGE_ONLY_CHUNK.replace(USAGE_ONLY_EVENT, `: ping\n\n${USAGE_ONLY_EVENT}`);
    const tap = usageTap(upstreamOf(chunksOf(input)), { withholdUsageOnly: true });
    expect(text(await readChunks(tap.body))).toBe(input.replace(USAGE_ONLY_EVENT, ""));
  });

  it("withholds correctly across an empty upstream chunk", async () => {
    const at = WITH_USAGE_ONLY_CHUNK.indexOf(USAGE_ONLY_EVENT) + 20;
    const input = chunksOf(WITH_USAGE_ONLY_CHUNK.slice(0, at), "", WITH_USAGE_ONLY_CHUNK.slice(at));
    const tap = usageTap(upstreamOf(input), { withholdUsageOnly: true });
    expect(text(await readChunks(tap.body))).toBe(WITH_USAGE_ONLY_CHUNK_WITHHELD);
  });

  it("withholds a usage-only event after a BOM split across chunks, and passes the BOM on to the client", async () => {
    const bom = [0xef, 0xbb, 0xbf];
    // The usage-only event first, right after the BOM: the scanner must see it to withhold it.
    const first = usageTap(upstreamOf(chunksOf([0xef], [0xbb, 0xbf, ...encode(USAGE_ONLY_EVENT)], "data: [DONE]\n\n")), {
      withholdUsageOnly: true,
    });
    expect(concatBytes(await readChunks(first.body))).toEqual(concatBytes(chunksOf(bom, "data: [DONE]\n\n")));
    expect((await first.done).scanner.usage).toEqual(WITH_USAGE_ONLY_CHUNK_EXPECTED.usage);

    // A whole stream behind a BOM: every byte but the usage-only event's reaches the client, and the first event counts.
    const bytes = concatBytes(chunksOf(bom, WITH_USAGE_ONLY_CHUNK));
    const tap = usageTap(upstreamOf(splitAt(bytes, [1, 2, 3, 5])), { withholdUsageOnly: true });
    expect(concatBytes(await readChunks(tap.body))).toEqual(concatBytes(chunksOf(bom, WITH_USAGE_ONLY_CHUNK_WITHHELD)));
    const report = await tap.done;
    expect(report.end).toBe("completed");
    expect(report.scanner.dataEvents).toBe(WITH_USAGE_ONLY_CHUNK_EXPECTED.dataEvents);
  });

  it("passes usage inside a chunk that has choices unchanged, even when withholding", async () => {
    const input = perEvent(CHAT_PLAIN);
    const tap = usageTap(upstreamOf(input), { withholdUsageOnly: true });
    expect(concatBytes(await readChunks(tap.body))).toEqual(encode(CHAT_PLAIN));
    const report = await tap.done;
    expect(report.scanner.usage).toEqual(CHAT_PLAIN_EXPECTED.usage);
  });

  it("ends upstream_error and errors the client's body when an upstream read fails mid-stream", async () => {
    const events = perEvent(CHAT_PLAIN);
    let served = 0;
    const upstream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (served === 2) controller.error(new Error("connection reset by Tensoras"));
        else controller.enqueue(events[served++] as Uint8Array);
      },
    });
    const onClientGone = vi.fn();
    const tap = usageTap(upstream, { withholdUsageOnly: false, onClientGone });
    const reader = tap.body.getReader();
    expect((await reader.read()).value).toEqual(events[0]);
    expect((await reader.read()).value).toEqual(events[1]);
    await expect(reader.read()).rejects.toThrow();
    const report = await tap.done;
    expect(report.end).toBe("upstream_error");
    expect(report.scanner.dataEvents).toBe(2);
    expect(onClientGone).not.toHaveBeenCalled();
  });

  it("ends upstream_error when the stream ends without [DONE] and without usage", async () => {
    const input = perEvent(CHAT_PLAIN).slice(0, 4);
    const tap = usageTap(upstreamOf(input), { withholdUsageOnly: false });
    expect(await readChunks(tap.body)).toEqual(input);
    const report = await tap.done;
    expect(report.end).toBe("upstream_error");
    expect(report.scanner.usage).toBeNull();
    expect(report.scanner.sawDone).toBe(false);
  });

  it("ends completed when the stream ends without [DONE] but its last chunk carried usage", async () => {
    const input = perEvent(CHAT_PLAIN).slice(0, -1);
    const tap = usageTap(upstreamOf(input), { withholdUsageOnly: false });
    await readChunks(tap.body);
    expect((await tap.done).end).toBe("completed");
  });

  it("ends upstream_error when an error event arrives mid-stream, passing its bytes to the client", async () => {
    const error = 'data: {"error":{"message":"The model is overloaded","type":"server_error","code":"overloaded"}}\n\n';
    const input = chunksOf(...CHAT_PLAIN.split(/(?<=\n\n)/).slice(0, 2), error, "data: [DONE]\n\n");
    const tap = usageTap(upstreamOf(input), { withholdUsageOnly: true });
    expect(await readChunks(tap.body)).toEqual(input);
    const report = await tap.done;
    expect(report.end).toBe("upstream_error");
    expect(report.scanner.error).toEqual({ message: "The model is overloaded", type: "server_error", code: "overloaded" });
  });

  it("ends client_aborted, calls onClientGone and cancels upstream when the client cancels mid-stream, after a bounded drain", async () => {
    const { stream, state } = countingUpstream(Number.POSITIVE_INFINITY);
    const onClientGone = vi.fn();
    const tap = usageTap(stream, { withholdUsageOnly: false, onClientGone });
    const reader = tap.body.getReader();
    await reader.read();
    await reader.read();
    const cancelledAt = Date.now();
    await reader.cancel("user closed the tab");
    const report = await tap.done;
    expect(Date.now() - cancelledAt).toBeLessThan(1000);
    expect(report.end).toBe("client_aborted");
    expect(report.scanner.usage).toBeNull();
    expect(onClientGone).toHaveBeenCalledTimes(1);
    expect(state.cancelled).toBe(true);
    const pullsAtCancel = state.pulls;
    await settle();
    expect(state.pulls).toBe(pullsAtCancel);
    // An upstream that never stops: the drain read at most ABORT_DRAIN_BYTES of it (each event is over 100 bytes).
    expect(report.scanner.dataEvents - 2).toBeLessThanOrEqual(ABORT_DRAIN_BYTES / 100);
  });

  it("reads at most ABORT_DRAIN_BYTES of what upstream sends after the client left", async () => {
    const big = encode(contentEvent("x".repeat(16 * 1024)));
    // Upstream has sent far more than the bound, and the usage last: it is not reached.
    const { stream, state } = heldOpenUpstream([encode(contentEvent("a")), ...Array.from({ length: 40 }, () => big), encode(usageChunk)]);
    const tap = usageTap(stream, { withholdUsageOnly: false });
    const reader = tap.body.getReader();
    await reader.read();
    await reader.cancel();
    const report = await tap.done;
    expect(report.end).toBe("client_aborted");
    expect(report.scanner.usage).toBeNull();
    expect(state.cancelled).toBe(true);
    expect(report.scanner.dataEvents).toBe(1 + Math.floor(ABORT_DRAIN_BYTES / big.length));
  });

  it("bills the usage upstream had already sent when the client cancels before reading it, outcome still client_aborted", async () => {
    const sent = chunksOf(contentEvent("Once"), contentEvent(" upon", "stop"), usageChunk, "data: [DONE]\n\n");
    for (const withholdUsageOnly of [false, true]) {
      const { stream, state } = heldOpenUpstream(sent);
      const onClientGone = vi.fn();
      const tap = usageTap(stream, { withholdUsageOnly, onClientGone });
      const reader = tap.body.getReader();
      expect((await reader.read()).value).toEqual(sent[0]);
      await reader.cancel();
      const report = await tap.done;
      expect(report.end).toBe("client_aborted");
      expect(report.scanner.usage).toEqual(USAGE);
      expect(report.scanner.dataEvents).toBe(3);
      expect(report.scanner.finishReason()).toBe("stop");
      expect(state.cancelled).toBe(true);
      expect(onClientGone).toHaveBeenCalledTimes(1);
      // Nothing read during the drain reaches the client.
      expect((await reader.read()).done).toBe(true);
    }
  });

  it("takes over the upstream read already pending when the client cancels, and scans its chunk exactly once", async () => {
    // The usage chunk comes 20 ms after the cancel, into the read the client's last pull started.
    const { stream, state } = heldOpenUpstream([encode(contentEvent("Once"))], chunksOf(usageChunk, "data: [DONE]\n\n"));
    const tap = usageTap(stream, { withholdUsageOnly: false });
    const reader = tap.body.getReader();
    await reader.read();
    const waiting = reader.read();
    await sleep(1);
    expect(state.pulls).toBe(1);
    await reader.cancel();
    expect((await waiting).done).toBe(true);
    const report = await tap.done;
    expect(report.scanner.usage).toEqual(USAGE);
    expect(report.scanner.dataEvents).toBe(2);
    expect(report.end).toBe("client_aborted");
    expect(state.cancelled).toBe(true);
  });

  it("ends completed when the client cancels right after reading [DONE], before the tap read upstream's end", async () => {
    for (const withholdUsageOnly of [false, true]) {
      const sent = chunksOf(contentEvent("Once"), contentEvent(" upon", "stop"), usageChunk, "data: [DONE]\n\n");
      const { stream, state } = heldOpenUpstream(sent);
      const onClientGone = vi.fn();
      const tap = usageTap(stream, { withholdUsageOnly, onClientGone });
      const reader = tap.body.getReader();
      let received = "";
      while (!received.includes("[DONE]")) received += decoder.decode((await reader.read()).value);
      await reader.cancel();
      const report = await tap.done;
      expect(report.end).toBe("completed");
      expect(report.scanner.usage).toEqual(USAGE);
      expect(state.cancelled).toBe(true);
      expect(onClientGone).toHaveBeenCalledTimes(1);
    }
  });

  it("ends completed when the client cancels after the withheld usage-only event, before [DONE] came", async () => {
    const { stream } = heldOpenUpstream(chunksOf(contentEvent("Once"), contentEvent(" upon", "stop"), usageChunk));
    const tap = usageTap(stream, { withholdUsageOnly: true });
    const reader = tap.body.getReader();
    await reader.read();
    await reader.read();
    // The client's next pull reads the usage-only event, withholds it, and waits for more.
    const waiting = reader.read();
    await settle();
    await reader.cancel();
    expect((await waiting).done).toBe(true);
    const report = await tap.done;
    expect(report.end).toBe("completed");
    expect(report.scanner.usage).toEqual(USAGE);
  });

  it("ends upstream_error when the client leaves after an error event reached it", async () => {
    const error = 'data: {"error":{"message":"The model is overloaded","type":"server_error"}}\n\n';
    const { stream, state } = heldOpenUpstream(chunksOf(contentEvent("Once"), error, "data: [DONE]\n\n"));
    const tap = usageTap(stream, { withholdUsageOnly: false });
    const reader = tap.body.getReader();
    await reader.read();
    await reader.read();
    await reader.cancel();
    const report = await tap.done;
    expect(report.end).toBe("upstream_error");
    expect(report.scanner.sawDone).toBe(false);
    expect(state.cancelled).toBe(true);
  });

  it("cancels upstream within ABORT_DRAIN_MS when the client leaves while upstream is silent", async () => {
    let cancelled = false;
    const events = perEvent(CHAT_PLAIN);
    const upstream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(events[0] as Uint8Array);
        // …then nothing for a while: the model is thinking.
      },
      cancel() {
        cancelled = true;
      },
    });
    const onClientGone = vi.fn();
    const tap = usageTap(upstream, { withholdUsageOnly: false, onClientGone });
    const reader = tap.body.getReader();
    await reader.read();
    const cancelledAt = Date.now();
    await reader.cancel();
    // No further upstream chunk is needed for the cancel to reach Tensoras.
    const report = await tap.done;
    expect(Date.now() - cancelledAt).toBeLessThan(ABORT_DRAIN_MS + 500);
    expect(report.end).toBe("client_aborted");
    expect(report.scanner.usage).toBeNull();
    expect(cancelled).toBe(true);
    expect(onClientGone).toHaveBeenCalledTimes(1);
  });

  it("bills upstream's usage when what upstream had sent trickles in over longer than ABORT_DRAIN_MS in all (a busy isolate), each piece sooner", async () => {
    // 20 pieces 5 ms apart: 100 ms in all, never 50 ms of silence. A busy isolate hands a drain its pieces like this.
    const pieces = [...Array.from({ length: 18 }, (_, i) => contentEvent(`w${i}`)), usageChunk, "data: [DONE]\n\n"].map(encode);
    const upstream = new ReadableStream<Uint8Array>({
      async pull(c) {
        await sleep(5);
        const next = pieces.shift();
        if (next) c.enqueue(next);
        else c.close();
      },
    });
    const tap = usageTap(upstream, { withholdUsageOnly: false });
    const reader = tap.body.getReader();
    await reader.read();
    await reader.cancel();

    const report = await tap.done;

    expect(report.end).toBe("client_aborted");
    expect(report.scanner.usage).toEqual(USAGE);
  });

  it("stops reading after ABORT_DRAIN_MAX_MS when upstream keeps sending without usage, and cancels it", async () => {
    let cancelled = false;
    const upstream = new ReadableStream<Uint8Array>({
      async pull(c) {
        await sleep(10);
        c.enqueue(encode(contentEvent("more")));
      },
      cancel() {
        cancelled = true;
      },
    });
    const tap = usageTap(upstream, { withholdUsageOnly: false });
    const reader = tap.body.getReader();
    await reader.read();
    const cancelledAt = Date.now();
    await reader.cancel();

    const report = await tap.done;

    const took = Date.now() - cancelledAt;
    expect(took).toBeGreaterThanOrEqual(ABORT_DRAIN_MAX_MS - 20);
    expect(took).toBeLessThan(1000);
    expect(report.scanner.usage).toBeNull();
    expect(cancelled).toBe(true);
  });

  it("keeps backpressure: upstream is not pulled more than a couple of chunks ahead of a client that stopped reading", async () => {
    for (const withholdUsageOnly of [false, true]) {
      const { stream, state } = countingUpstream(1000);
      const tap = usageTap(stream, { withholdUsageOnly });
      const reader = tap.body.getReader();
      await reader.read();
      await settle();
      const pulls = state.pulls;
      expect(pulls).toBeLessThanOrEqual(3);
      await settle();
      expect(state.pulls).toBe(pulls);
      // The client reads ten more: upstream stays within two chunks of what the client took.
      for (let i = 0; i < 10; i++) await reader.read();
      await settle();
      expect(state.pulls).toBeLessThanOrEqual(11 + 2);
      await reader.cancel();
      await tap.done;
    }
  });
});

/** A byte stream (what fetch() bodies are), so the tap can read it with a BYOB reader. */
function byteUpstream(chunks: Uint8Array[], options: { pacedMs?: number } = {}): ReadableStream<Uint8Array> {
  let next = 0;
  return new ReadableStream({
    type: "bytes",
    async start(controller) {
      if (options.pacedMs !== undefined) return;
      for (const chunk of chunks) controller.enqueue(chunk.slice());
      controller.close();
    },
    async pull(controller) {
      if (options.pacedMs === undefined) return;
      await new Promise((resolve) => setTimeout(resolve, options.pacedMs));
      const chunk = chunks[next++];
      if (chunk === undefined) controller.close();
      else controller.enqueue(chunk.slice());
    },
  }) as ReadableStream<Uint8Array>;
}

describe("usageTap on byte streams", () => {
  it("reads a fast byte stream in pieces as large as what has arrived, bytes unchanged", async () => {
    const events = Array.from({ length: 400 }, (_, i) =>
      encode(`data: {"choices":[{"index":0,"delta":{"content":"${"x".repeat(200)}${i}"},"finish_reason":null}]}\n\n`),
    );
    const tap = usageTap(byteUpstream([...events, encode("data: [DONE]\n\n")]), { withholdUsageOnly: false });
    const out = await readChunks(tap.body);
    expect(text(out)).toBe(text([...events, encode("data: [DONE]\n\n")]));
    // ~88 KB already there: a plain reader gets it in 4 KiB pieces (28 reads), BYOB reads grow to 256 KiB.
    expect(out.length).toBeLessThanOrEqual(8);
    expect((await tap.done).end).toBe("completed");
  });

  it("still hands a paced byte stream's events over one by one, without waiting to fill a buffer", async () => {
    const events = perEvent(CHAT_PLAIN);
    const tap = usageTap(byteUpstream(events, { pacedMs: 5 }), { withholdUsageOnly: false });
    const out = await readChunks(tap.body);
    expect(out.map((chunk) => decoder.decode(chunk))).toEqual(events.map((chunk) => decoder.decode(chunk)));
  });
});
