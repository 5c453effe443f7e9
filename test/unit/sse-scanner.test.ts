import { describe, expect, it } from "vitest";
import { SseScanner } from "../../src/sse/sse-scanner";
import { CHAT_PLAIN, CHAT_PLAIN_CRLF, CHAT_PLAIN_EXPECTED } from "../fixtures/streams/chat-plain";
import { chunksOf, encode, scan, splitAt, splitEvery, summary } from "../fixtures/streams/chunks";
import { REASONING, REASONING_EXPECTED } from "../fixtures/streams/reasoning";
import { TOOL_CALL, TOOL_CALL_EXPECTED } from "../fixtures/streams/tool-call";
import { WITH_USAGE_ONLY_CHUNK, WITH_USAGE_ONLY_CHUNK_EXPECTED } from "../fixtures/streams/usage-only";

const USAGE = {
  prompt_tokens: 42,
  completion_tokens: 7,
  total_tokens: 49,
  prompt_tokens_details: { cached_tokens: 32 },
  completion_tokens_details: { reasoning_tokens: 0 },
};

interface ChunkFields {
  content?: string;
  finish?: string | null;
  usage?: unknown;
  choices?: unknown[];
}

/** One OpenAI chat.completion.chunk as JSON text (no `data:` framing). */
function chunkJson({ content, finish = null, usage, choices }: ChunkFields): string {
  const delta = content === undefined ? {} : { content };
  const body: Record<string, unknown> = {
    id: "chatcmpl-7b3f0c9e21",
    object: "chat.completion.chunk",
    created: 1763900400,
    model: "llama-3.3-70b",
    choices: choices ?? [{ index: 0, delta, finish_reason: finish }],
  };
  if (usage !== undefined) body.usage = usage;
  return JSON.stringify(body);
}

function event(fields: ChunkFields, eol = "\n"): string {
  return `data: ${chunkJson(fields)}${eol}${eol}`;
}

const DONE = "data: [DONE]\n\n";

describe("SseScanner", () => {
  it("reads usage, finish reason, event count and [DONE] from a stream with LF line endings", () => {
    expect(summary(scan([encode(CHAT_PLAIN)]))).toEqual({ ...CHAT_PLAIN_EXPECTED_SUMMARY, error: null });
    const perEvent = CHAT_PLAIN.split(/(?<=\n\n)/).map(encode);
    expect(perEvent.length).toBeGreaterThan(6);
    expect(summary(scan(perEvent))).toEqual({ ...CHAT_PLAIN_EXPECTED_SUMMARY, error: null });
  });

  it("reads the same stream with CRLF line endings", () => {
    expect(summary(scan([encode(CHAT_PLAIN_CRLF)]))).toEqual({ ...CHAT_PLAIN_EXPECTED_SUMMARY, error: null });
    const perEvent = CHAT_PLAIN_CRLF.split(/(?<=\r\n\r\n)/).map(encode);
    expect(summary(scan(perEvent))).toEqual({ ...CHAT_PLAIN_EXPECTED_SUMMARY, error: null });
  });

  it("reads an event whose chunk is split inside `data:`", () => {
    const last = event({ finish: "stop", usage: USAGE });
    const scanner = scan(chunksOf(event({ content: "Hi" }), "da", "t", "a", ":", last.slice(5), DONE));
    expect(scanner.usage).toEqual(USAGE);
    expect(scanner.dataEvents).toBe(2);
    expect(scanner.finishReason()).toBe("stop");
    expect(scanner.sawDone).toBe(true);
  });

  it("reads an event whose chunk is split inside a JSON string", () => {
    const last = event({ content: "fin", finish: "stop", usage: USAGE });
    const inKey = last.indexOf('"completion_tokens"') + 7;
    const inValue = last.indexOf('"fin"') + 2;
    const scanner = scan(chunksOf(last.slice(0, inValue), last.slice(inValue, inKey), last.slice(inKey), DONE));
    expect(scanner.usage).toEqual(USAGE);
    expect(scanner.finishReason()).toBe("stop");
  });

  it("reads an event whose chunk is split inside a multi-byte UTF-8 character", () => {
    const message = "Modèle surchargé 🚀, réessayez";
    const bytes = encode(`data: {"error":{"message":"${message}","type":"server_error","code":"overloaded"}}\n\n`);
    const rocket = bytes.indexOf(0xf0);
    const eAcute = bytes.indexOf(0xc3);
    expect(rocket).toBeGreaterThan(0);
    // Split after the first byte of "è" and between the 2nd and 3rd bytes of the emoji.
    const scanner = scan(splitAt(bytes, [eAcute + 1, rocket + 2]));
    expect(scanner.error).toEqual({ message, type: "server_error", code: "overloaded" });

    const last = encode(event({ content: "café ☕", finish: "stop", usage: USAGE }));
    const cup = last.indexOf(0xe2);
    const chunks = splitAt(last, [cup + 1, cup + 2]);
    expect(chunks).toHaveLength(3);
    expect(scan(chunks).usage).toEqual(USAGE);
  });

  it("treats a chunk split between \\r and \\n as one line ending", () => {
    // Two data lines form one JSON object: a stray line ending between \r and \n would cut it in two.
    const json = chunkJson({ finish: "stop", usage: USAGE });
    const cut = json.indexOf('"usage"');
    const text = `data: ${json.slice(0, cut)}\r\ndata: ${json.slice(cut)}\r\n\r\n${DONE.replaceAll("\n", "\r\n")}`;
    const bytes = encode(text);
    const crs = [...bytes.keys()].filter((i) => bytes[i] === 0x0d);
    expect(crs).toHaveLength(5);
    const scanner = scan(
      splitAt(
        bytes,
        crs.map((i) => i + 1),
      ),
    );
    expect(scanner.usage).toEqual(USAGE);
    expect(scanner.dataEvents).toBe(1);
    expect(scanner.sawDone).toBe(true);
  });

  it("reports an event ended by a blank line split between \\r and \\n where its last \\n is", () => {
    const ends: [number, number][] = [];
    let chunkIndex = 0;
    const scanner = new SseScanner((endOffset) => ends.push([chunkIndex, endOffset]));
    const first = event({ content: "Hi" }, "\r\n").slice(0, -1); // ends in "\r\n\r"
    for (const chunk of chunksOf(first, "\n", event({ finish: "stop", usage: USAGE }, "\r\n"))) {
      scanner.push(chunk);
      chunkIndex++;
    }
    scanner.end();
    expect(scanner.dataEvents).toBe(2);
    // The first event ends after its \n, at offset 1 of the second chunk, so a withheld event takes all its bytes.
    expect(ends[0]).toEqual([1, 1]);
  });

  it("accepts a lone CR as a line ending", () => {
    const text = CHAT_PLAIN.replaceAll("\n", "\r");
    expect(summary(scan([encode(text)]))).toEqual({ ...CHAT_PLAIN_EXPECTED_SUMMARY, error: null });
    expect(summary(scan(splitEvery(encode(text), 7)))).toEqual({ ...CHAT_PLAIN_EXPECTED_SUMMARY, error: null });
  });

  it("reads `data:` with and without a space after the colon", () => {
    const scanner = scan(
      chunksOf(
        `data:${chunkJson({ content: "a" })}\n\n`,
        `data: ${chunkJson({ content: "b" })}\n\n`,
        `data:${chunkJson({ finish: "length", usage: USAGE })}\n\n`,
        "data:[DONE]\n\n",
      ),
    );
    expect(summary(scanner)).toEqual({ usage: USAGE, finishReason: "length", dataEvents: 3, sawDone: true, error: null });
  });

  it("ignores comment lines (`: ping`), even one that looks like usage", () => {
    const scanner = scan(
      chunksOf(
        ": ping\n\n",
        event({ content: "Hi" }),
        ': {"usage":{"prompt_tokens":999,"completion_tokens":999,"total_tokens":1998}}\n\n',
        `: ping\ndata: ${chunkJson({ content: "!" })}\n: ping\n\n`,
        ": ping\n\n",
      ),
    );
    expect(scanner.usage).toBeNull();
    expect(scanner.dataEvents).toBe(2);
    expect(scanner.sawDone).toBe(false);
  });

  it("joins two `data:` lines with \\n into one JSON object", () => {
    const json = chunkJson({ finish: "stop", usage: USAGE });
    const cut = json.indexOf(',"usage"');
    const scanner = scan(chunksOf(`data: ${json.slice(0, cut)}\ndata: ${json.slice(cut)}\n\n`, DONE));
    expect(scanner.usage).toEqual(USAGE);
    expect(scanner.dataEvents).toBe(1);
    expect(scanner.finishReason()).toBe("stop");
  });

  it('records an `{"error": …}` event that arrives mid-stream, keeping the first one', () => {
    const error = { message: "The model is overloaded", type: "server_error", param: null, code: "overloaded" };
    const scanner = scan(
      chunksOf(
        event({ content: "Once upon" }),
        `data: ${JSON.stringify({ error })}\n\n`,
        `data: ${JSON.stringify({ error: { ...error, message: "second" } })}\n\n`,
      ),
    );
    expect(scanner.error).toEqual(error);
    expect(scanner.usage).toBeNull();
    expect(scanner.sawDone).toBe(false);
  });

  it("records an error sent as `event: error`, with JSON or plain-text data", () => {
    const json = scan(chunksOf(event({ content: "Hi" }), 'event: error\ndata: {"message":"upstream timeout","code":504}\n\n'));
    expect(json.error).toEqual({ message: "upstream timeout", code: 504 });
    const wrapped = scan(chunksOf('event:error\ndata: {"error":{"message":"rate limited"}}\n\n'));
    expect(wrapped.error).toEqual({ message: "rate limited" });
    const text = scan(chunksOf("event: error\r\ndata: upstream timeout\r\n\r\n"));
    expect(text.error).toBe("upstream timeout");
    // The event type is reset after each event: a later chunk is not an error.
    const later = scan(chunksOf("event: ping\n\n", event({ content: "ok" })));
    expect(later.error).toBeNull();
  });

  it("reads usage from the last chunk of a stream that ends without [DONE]", () => {
    const scanner = scan(chunksOf(event({ content: "Hi" }), event({ finish: "stop", usage: USAGE })));
    expect(scanner.sawDone).toBe(false);
    expect(scanner.usage).toEqual(USAGE);
    expect(scanner.finishReason()).toBe("stop");
  });

  it("counts an unterminated final event with no trailing blank line", () => {
    const last = `data: ${chunkJson({ finish: "stop", usage: USAGE })}`;
    for (const tail of ["", "\n", "\r\n", "\r"]) {
      const scanner = scan(chunksOf(event({ content: "Hi" }), last.slice(0, 40), last.slice(40) + tail));
      expect(scanner.usage).toEqual(USAGE);
      expect(scanner.dataEvents).toBe(2);
      expect(scanner.finishReason()).toBe("stop");
    }
  });

  it('does not take content that is the text "usage" for usage', () => {
    const scanner = scan(
      chunksOf(
        event({ content: "usage" }),
        `data: {"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":"usage"},"finish_reason":null}],"x":{"content":"usage"} }\n\n`,
        event({ finish: "stop" }),
        DONE,
      ),
    );
    expect(scanner.usage).toBeNull();
    expect(scanner.finishReason()).toBe("stop");
  });

  it('does not take content holding \\"usage\\":{ for usage', () => {
    const scanner = scan(
      chunksOf(
        event({ content: '{"usage":{"prompt_tokens":5,"completion_tokens":5,"total_tokens":10}}' }),
        event({ content: 'say "usage": {' }),
        event({ finish: "stop", usage: null }),
        DONE,
      ),
    );
    expect(scanner.usage).toBeNull();
    expect(scanner.dataEvents).toBe(3);
  });

  it('keeps the real usage at the end when every chunk before carries "usage": null', () => {
    const scanner = scan(
      chunksOf(
        event({ content: "A", usage: null }),
        event({ content: "B", usage: null }),
        event({ finish: "stop", usage: null }),
        event({ choices: [], usage: USAGE }),
        event({ choices: [], usage: null }),
        DONE,
      ),
    );
    expect(scanner.usage).toEqual(USAGE);
  });

  it("reads usage from a whole stream in one chunk whose text is not ASCII", () => {
    const scanner = scan([
      encode(
        event({ content: "日本語で答えます" }) +
          event({ content: " 🚀 ça marche", finish: "stop" }) +
          event({ choices: [], usage: USAGE }) +
          DONE,
      ),
    ]);
    expect(summary(scanner)).toEqual({ usage: USAGE, finishReason: "stop", dataEvents: 3, sawDone: true, error: null });
  });

  it("reads usage from a chunk that starts with the bytes of a BOM or holds a byte that is not UTF-8", () => {
    const head = encode(event({ content: "x\uFEFF" }));
    const bom = head.indexOf(0xef);
    const stream = encode(event({ content: "x\uFEFF" }) + event({ finish: "stop", usage: USAGE }) + DONE);
    // A chunk starting at U+FEFF: a UTF-8 decoder drops it, so the chunk's characters no longer line up with its bytes.
    expect(summary(scan(splitAt(stream, [bom])))).toMatchObject({ usage: USAGE, dataEvents: 2, sawDone: true });

    const invalid = encode(
      `data: {"choices":[{"index":0,"delta":{"content":"a\u0000"}}]}\n\n${event({ finish: "stop", usage: USAGE })}${DONE}`,
    );
    invalid[invalid.indexOf(0x00)] = 0xff;
    expect(summary(scan([invalid]))).toMatchObject({ usage: USAGE, dataEvents: 2, sawDone: true });
  });

  it("finds the one usage among many events of a single chunk, wherever it is", () => {
    const events = Array.from({ length: 200 }, (_, i) => event({ content: `t${i}` }));
    for (const at of [0, 1, 100, 199]) {
      const withUsage = events.map((text, i) => (i === at ? event({ content: `t${i}`, usage: USAGE }) : text));
      const scanner = scan([encode(withUsage.join("") + DONE)]);
      expect(scanner.usage).toEqual(USAGE);
      expect(scanner.dataEvents).toBe(200);
    }
  });

  it('looks past keys that end in usage (`"x_usage"`) to the real usage later in the same chunk', () => {
    const lookalike = `data: {"choices":[{"index":0,"delta":{"content":"a"}}],"x_usage":{"credits":3}}\n\n`;
    const scanner = scan([encode(lookalike + lookalike + event({ finish: "stop", usage: USAGE }) + DONE)]);
    expect(summary(scanner)).toEqual({ usage: USAGE, finishReason: "stop", dataEvents: 3, sawDone: true, error: null });
    expect(scan([encode(lookalike + DONE)]).usage).toBeNull();
  });

  it("reads a 1 MB event split into 4 KiB chunks", () => {
    const content = "Le café coûte 3 € 🚀 ".repeat(40_000).slice(0, 1_000_000);
    const bytes = encode(event({ content, finish: "length", usage: USAGE }) + DONE);
    expect(bytes.length).toBeGreaterThan(1_000_000);
    const scanner = scan(splitEvery(bytes, 4096));
    expect(summary(scanner)).toEqual({ usage: USAGE, finishReason: "length", dataEvents: 1, sawDone: true, error: null });
  });

  it("finds usage written before the choices of a large event (head of the event)", () => {
    const payload = { usage: USAGE, id: "c", choices: [{ index: 0, delta: { content: "y".repeat(200_000) }, finish_reason: "stop" }] };
    const scanner = scan(splitEvery(encode(`data: ${JSON.stringify(payload)}\n\n${DONE}`), 4096));
    expect(summary(scanner)).toEqual({ usage: USAGE, finishReason: "stop", dataEvents: 1, sawDone: true, error: null });
  });

  it("flags only OpenAI's usage-only chunk (`choices: []`) as usage-only, not usage beside choices", () => {
    const calls: { end: number; usageOnly: boolean }[] = [];
    const listener = (end: number, usageOnly: boolean) => calls.push({ end, usageOnly });
    scan([encode(CHAT_PLAIN)], listener);
    expect(calls.filter((c) => c.usageOnly)).toEqual([]);
    expect(calls.length).toBeGreaterThanOrEqual(7);

    calls.length = 0;
    const bytes = encode(WITH_USAGE_ONLY_CHUNK);
    scan([bytes], listener);
    const flagged = calls.filter((c) => c.usageOnly);
    expect(flagged).toHaveLength(1);
    // It ends right before `data: [DONE]`.
    expect(new TextDecoder().decode(bytes.subarray(flagged[0]?.end))).toBe(DONE);
  });

  it("reads finish_reason from the last events in both forms", () => {
    expect(scan([encode(CHAT_PLAIN)]).finishReason()).toBe("stop");
    expect(scan([encode(WITH_USAGE_ONLY_CHUNK)]).finishReason()).toBe("stop");
    expect(scan([encode(TOOL_CALL)]).finishReason()).toBe("tool_calls");
    expect(
      scan(chunksOf(event({ content: "abc" }), event({ finish: "length" }), event({ choices: [], usage: USAGE }))).finishReason(),
    ).toBe("length");
    expect(scan(chunksOf(event({ content: "abc" }))).finishReason()).toBeNull();
  });

  it("reads the recorded reasoning-model and tool-call streams", () => {
    expect(summary(scan([encode(REASONING)]))).toEqual({ ...REASONING_EXPECTED, sawDone: true, error: null });
    expect(summary(scan([encode(TOOL_CALL)]))).toEqual({
      usage: TOOL_CALL_EXPECTED.usage,
      finishReason: TOOL_CALL_EXPECTED.finishReason,
      dataEvents: TOOL_CALL_EXPECTED.dataEvents,
      sawDone: true,
      error: null,
    });
    expect(summary(scan([encode(WITH_USAGE_ONLY_CHUNK)]))).toEqual({ ...WITH_USAGE_ONLY_CHUNK_EXPECTED, sawDone: true, error: null });
  });

  it("keeps a pending \\r across an empty chunk", () => {
    const json = chunkJson({ finish: "stop", usage: USAGE });
    const cut = json.indexOf('"usage"');
    const chunks = chunksOf(`data: ${json.slice(0, cut)}\r`, "", `\ndata: ${json.slice(cut)}\r\n\r\n`);
    const scanner = scan(chunks);
    expect(scanner.usage).toEqual(USAGE);
    expect(scanner.dataEvents).toBe(1);
  });

  it("skips a UTF-8 BOM at the start of the stream, so the first event counts", () => {
    const stream = `\uFEFF${event({ content: "Hi" })}${event({ finish: "stop", usage: USAGE })}${DONE}`;
    expect(summary(scan(chunksOf(stream)))).toEqual({ usage: USAGE, finishReason: "stop", dataEvents: 2, sawDone: true, error: null });
  });

  it("skips a BOM split across chunks, however it is split, and reads a usage-only first event after it", () => {
    const rest = event({ choices: [], usage: USAGE });
    for (const chunks of [
      chunksOf([0xef], [0xbb, 0xbf], rest, DONE),
      chunksOf([0xef, 0xbb], [0xbf], rest, DONE),
      chunksOf([0xef], [0xbb], [0xbf], rest, DONE),
      chunksOf([0xef], "", [0xbb, 0xbf, ...encode(rest)], DONE),
    ]) {
      expect(summary(scan(chunks))).toEqual({ usage: USAGE, finishReason: null, dataEvents: 1, sawDone: true, error: null });
    }
  });

  it("reports the BOM as a block of its own, so a usage-only first event ends where its own bytes end", () => {
    const ends: { chunk: number; end: number; usageOnly: boolean }[] = [];
    let chunk = 0;
    const scanner = new SseScanner((end, usageOnly) => ends.push({ chunk, end, usageOnly }));
    const usageOnly = event({ choices: [], usage: USAGE });
    for (const part of chunksOf([0xef], [0xbb, 0xbf, ...encode(usageOnly)], DONE)) {
      scanner.push(part);
      chunk++;
    }
    scanner.end();
    expect(ends).toEqual([
      { chunk: 1, end: 2, usageOnly: false },
      { chunk: 1, end: 2 + encode(usageOnly).length, usageOnly: true },
      { chunk: 2, end: DONE.length, usageOnly: false },
    ]);
  });

  it("does not take bytes that only begin like a BOM for one: they start the first line", () => {
    // `\xEFdata: …` is a field named "\uFFFDdata" for an SSE parser: ignored, not a data line.
    const scanner = scan(chunksOf([0xef], event({ content: "Hi", usage: USAGE }), event({ finish: "stop" }), DONE));
    expect(summary(scanner)).toEqual({ usage: null, finishReason: "stop", dataEvents: 1, sawDone: true, error: null });
    const split = scan(chunksOf([0xef, 0xbb], `x\n\n${event({ content: "Hi" })}`, event({ finish: "stop", usage: USAGE })));
    expect(summary(split)).toMatchObject({ usage: USAGE, dataEvents: 2 });
  });

  it("skips only one BOM, as the SSE spec does", () => {
    const scanner = scan(chunksOf(`\uFEFF\uFEFF${event({ content: "Hi", usage: USAGE })}`, event({ finish: "stop" })));
    expect(scanner.usage).toBeNull();
    expect(scanner.dataEvents).toBe(1);
  });

  it("recognises `[DONE]` followed by spaces or other whitespace, as openai-node's prefix match does", () => {
    for (const done of ["data: [DONE] \n\n", "data: [DONE]   \n\n", "data:[DONE]\t\n\n", "data: [DONE] \r\n\r\n"]) {
      const scanner = scan(chunksOf(event({ content: "Hi", finish: "stop" }), done));
      expect(summary(scanner)).toEqual({ usage: null, finishReason: "stop", dataEvents: 1, sawDone: true, error: null });
    }
    // Split between `[DONE]` and its trailing spaces.
    expect(scan(chunksOf(event({ content: "Hi" }), "data: [DONE]", "  \n\n")).sawDone).toBe(true);
  });

  it("counts a data line longer than the parse limit as an event without keeping it", () => {
    const content = "x".repeat(4 * 1024 * 1024 + 10);
    const bytes = encode(`data: ${chunkJson({ content, usage: USAGE })}\n\n${event({ finish: "stop" })}`);
    // One piece larger than the limit, then the rest.
    const scanner = scan(splitAt(bytes, [4 * 1024 * 1024 + 1, bytes.length - 100]));
    expect(scanner.dataEvents).toBe(2);
    expect(scanner.usage).toBeNull();
    expect(scanner.finishReason()).toBe("stop");
  });
});

const CHAT_PLAIN_EXPECTED_SUMMARY = {
  usage: CHAT_PLAIN_EXPECTED.usage,
  finishReason: CHAT_PLAIN_EXPECTED.finishReason,
  dataEvents: CHAT_PLAIN_EXPECTED.dataEvents,
  sawDone: true,
};
