import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/errors";
import { MAX_REDACTED_ERROR_BYTES, redactedErrorBody, redactHeaders, redactKey } from "../../src/proxy/redact";

const KEY = "tns_Zx81/live+k3y";
const encoder = new TextEncoder();

/** `\uXXXX` for every character, as a JSON encoder that escapes everything would write it. */
function jsonEscapeAll(text: string, upper = false): string {
  return [...text]
    .map((ch) => {
      const hex = ch.charCodeAt(0).toString(16).padStart(4, "0");
      return `\\u${upper ? hex.toUpperCase() : hex}`;
    })
    .join("");
}

describe("redactKey", () => {
  const forms: [string, string][] = [
    ["as written", KEY],
    ["with its underscore as \\u005f", KEY.replace("_", "\\u005f")],
    ["with its underscore as \\u005F", KEY.replace("_", "\\u005F")],
    ["with every character as \\uXXXX", jsonEscapeAll(KEY)],
    ["with every character as \\uXXXX in capitals", jsonEscapeAll(KEY, true)],
    ["with its slash as \\/", KEY.replace("/", "\\/")],
    ["escaped twice (JSON inside a JSON string)", KEY.replace("_", "\\\\u005f").replace("/", "\\\\/")],
    ["percent-encoded", KEY.replace("_", "%5F").replace("/", "%2f").replace("+", "%2B")],
  ];
  for (const [what, spelt] of forms) {
    it(`redacts the key ${what}, leaving the text around it byte for byte`, () => {
      const body = `{"error":{"message":"Invalid API key: ${spelt}. Check it.","code":"invalid_api_key"}}`;
      expect(redactKey(body, KEY)).toBe('{"error":{"message":"Invalid API key: [redacted]. Check it.","code":"invalid_api_key"}}');
    });
  }

  it("redacts every occurrence, adjacent ones too, and keeps the JSON valid", () => {
    const body = JSON.stringify({ a: `${KEY}${KEY}`, b: KEY.replace("_", "\\u005f"), c: "fine" });
    const redacted = redactKey(body, KEY) as string;
    expect(JSON.parse(redacted)).toEqual({ a: "[redacted][redacted]", b: "[redacted]", c: "fine" });
  });

  it("answers null (nothing to change) for text without the key, escaped or not", () => {
    expect(redactKey('{"error":{"message":"Invalid key tns_\\u0041other"}}', KEY)).toBeNull();
    expect(redactKey(`almost ${KEY.slice(0, -1)}`, KEY)).toBeNull();
    expect(redactKey("anything", "")).toBeNull();
  });

  it("stays linear on text built to be slow: 64 KiB of backslashes, escape starts and key prefixes", () => {
    for (const filler of ["\\", "\\u00", "%2", "tns_Zx81", "\\\\u005f"]) {
      const text = filler.repeat(Math.ceil(MAX_REDACTED_ERROR_BYTES / filler.length)).slice(0, MAX_REDACTED_ERROR_BYTES);
      const started = performance.now();
      redactKey(text, KEY);
      expect(performance.now() - started).toBeLessThan(500);
    }
  });
});

describe("redactHeaders", () => {
  it("redacts the key in WWW-Authenticate and in any custom header, escaped or not, and leaves other headers alone", () => {
    const headers = new Headers({
      "www-authenticate": `Bearer error="invalid_token", error_description="${KEY} is not valid"`,
      "x-upstream-debug": `key=${KEY.replace("_", "%5F")}`,
      "retry-after": "3",
    });
    redactHeaders(headers, KEY);
    expect(Object.fromEntries(headers)).toEqual({
      "www-authenticate": 'Bearer error="invalid_token", error_description="[redacted] is not valid"',
      "x-upstream-debug": "key=[redacted]",
      "retry-after": "3",
    });
  });
});

/** A chunked body (no Content-Length) of `total` bytes in 4 KiB pieces, counting what was pulled from it. */
function chunkedBody(total: number, fill = "x"): { body: ReadableStream<Uint8Array>; pulled: () => number } {
  let sent = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (sent >= total) return controller.close();
        const size = Math.min(4096, total - sent);
        sent += size;
        controller.enqueue(encoder.encode(fill.repeat(size)));
      },
    },
    { highWaterMark: 0 },
  );
  return { body, pulled: () => sent };
}

describe("redactedErrorBody", () => {
  it("returns a body of exactly MAX_REDACTED_ERROR_BYTES without the key as the same bytes", async () => {
    const { body } = chunkedBody(MAX_REDACTED_ERROR_BYTES);
    const out = await redactedErrorBody(new Response(body, { status: 500 }), KEY);
    expect(out).toBeInstanceOf(Uint8Array);
    expect((out as Uint8Array).byteLength).toBe(MAX_REDACTED_ERROR_BYTES);
  });

  it("refuses a chunked body over the bound with a 502 upstream_error_unreadable after reading at most one piece past it", async () => {
    const { body, pulled } = chunkedBody(100 * 1024 * 1024);
    const err = await redactedErrorBody(new Response(body, { status: 500 }), KEY).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 502, code: "upstream_error_unreadable" });
    expect(pulled()).toBeLessThanOrEqual(MAX_REDACTED_ERROR_BYTES + 4096);
  });

  it("refuses a body that declares a Content-Length over the bound without reading it", async () => {
    const { body, pulled } = chunkedBody(MAX_REDACTED_ERROR_BYTES + 1);
    const response = new Response(body, { status: 400, headers: { "content-length": String(MAX_REDACTED_ERROR_BYTES + 1) } });
    await expect(redactedErrorBody(response, KEY)).rejects.toMatchObject({ status: 502, code: "upstream_error_unreadable" });
    expect(pulled()).toBe(0);
  });

  it("redacts the key at the very end of a body of exactly the bound", async () => {
    const text = `${"x".repeat(MAX_REDACTED_ERROR_BYTES - KEY.length)}${KEY}`;
    const out = await redactedErrorBody(new Response(text, { status: 401 }), KEY);
    expect(out).toBe(`${"x".repeat(MAX_REDACTED_ERROR_BYTES - KEY.length)}[redacted]`);
  });
});
