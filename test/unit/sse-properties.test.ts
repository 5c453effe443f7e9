import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { usageTap } from "../../src/sse/usage-tap";
import { CHAT_PLAIN, CHAT_PLAIN_CRLF } from "../fixtures/streams/chat-plain";
import { concatBytes, encode, readChunks, scan, splitAt, summary, upstreamOf } from "../fixtures/streams/chunks";
import { REASONING } from "../fixtures/streams/reasoning";
import { TOOL_CALL } from "../fixtures/streams/tool-call";
import { USAGE_ONLY_EVENT, WITH_USAGE_ONLY_CHUNK } from "../fixtures/streams/usage-only";

const crlf = (text: string) => text.replaceAll("\n", "\r\n");
const BOM = "\uFEFF";

/** Each recorded stream, and what a client that did not ask for usage must get from it. */
const STREAMS: [name: string, input: string, withheld: string][] = [
  ["a plain chat stream", CHAT_PLAIN, CHAT_PLAIN],
  ["a chat stream with CRLF line endings", CHAT_PLAIN_CRLF, CHAT_PLAIN_CRLF],
  ["a chat stream with lone CR line endings", CHAT_PLAIN.replaceAll("\n", "\r"), CHAT_PLAIN.replaceAll("\n", "\r")],
  ["a reasoning-model stream", REASONING, REASONING],
  ["a streamed tool call", TOOL_CALL, TOOL_CALL],
  ["a stream with a usage-only chunk", WITH_USAGE_ONLY_CHUNK, WITH_USAGE_ONLY_CHUNK.replace(USAGE_ONLY_EVENT, "")],
  ["a CRLF stream with a usage-only chunk", crlf(WITH_USAGE_ONLY_CHUNK), crlf(WITH_USAGE_ONLY_CHUNK).replace(crlf(USAGE_ONLY_EVENT), "")],
  ["a stream behind a UTF-8 BOM", BOM + WITH_USAGE_ONLY_CHUNK, BOM + WITH_USAGE_ONLY_CHUNK.replace(USAGE_ONLY_EVENT, "")],
  ["a usage-only event right behind a BOM", `${BOM}${USAGE_ONLY_EVENT}data: [DONE]\n\n`, `${BOM}data: [DONE]\n\n`],
];

/** Offsets where a split is most likely to hurt: inside a UTF-8 character, between \r and \n, around `data:`. */
function trickyOffsets(bytes: Uint8Array): number[] {
  const offsets: number[] = [];
  bytes.forEach((byte, i) => {
    const continuation = (byte & 0xc0) === 0x80;
    const afterCR = bytes[i - 1] === 0x0d;
    if (continuation || afterCR || byte === 0x3a) offsets.push(i);
  });
  return offsets;
}

async function runTap(chunks: Uint8Array[], withholdUsageOnly: boolean) {
  const tap = usageTap(upstreamOf(chunks), { withholdUsageOnly });
  const out = await readChunks(tap.body);
  const report = await tap.done;
  return { out, report };
}

describe.each(STREAMS)("%s split at random points", (_name, input, withheld) => {
  const bytes = encode(input);
  const expectedOut = encode(withheld);
  const whole = summary(scan([bytes]));
  const tricky = trickyOffsets(bytes);
  const offset = fc.oneof(fc.integer({ min: 1, max: bytes.length - 1 }), fc.constantFrom(...tricky));
  const splits = fc.array(offset, { minLength: 1, maxLength: 40 });

  it("has tricky split points to try and a whole-stream reading to compare with", () => {
    expect(tricky.length).toBeGreaterThan(10);
    expect(whole.usage).not.toBeNull();
    expect(whole.sawDone).toBe(true);
  });

  it("reads the same usage, finish reason, event count and [DONE] however it is split", () => {
    fc.assert(
      fc.property(splits, (offsets) => {
        expect(summary(scan(splitAt(bytes, offsets)))).toEqual(whole);
      }),
      { numRuns: 200 },
    );
  });

  it("passes every byte through, chunk for chunk, and reports the same, when not withholding", async () => {
    await fc.assert(
      fc.asyncProperty(splits, async (offsets) => {
        const chunks = splitAt(bytes, offsets);
        const { out, report } = await runTap(chunks, false);
        expect(out).toEqual(chunks);
        expect(summary(report.scanner)).toEqual(whole);
        expect(report.end).toBe("completed");
      }),
      { numRuns: 200 },
    );
  });

  it("removes exactly the usage-only event, and still reports the same, when withholding", async () => {
    await fc.assert(
      fc.asyncProperty(splits, async (offsets) => {
        const { out, report } = await runTap(splitAt(bytes, offsets), true);
        expect(concatBytes(out)).toEqual(expectedOut);
        expect(summary(report.scanner)).toEqual(whole);
        expect(report.end).toBe("completed");
      }),
      { numRuns: 200 },
    );
  });
});
