import { describe, expect, it } from "vitest";
import { withIncludeUsage } from "../../src/proxy/include-usage";
import type { ProxiedBody } from "../../src/proxy/schemas";

/** What goes upstream for this exact body text. */
function forwarded(text: string): { body: string; injected: boolean } {
  const raw = new TextEncoder().encode(text).buffer as ArrayBuffer;
  const result = withIncludeUsage(raw, text, JSON.parse(text) as ProxiedBody);
  return {
    body: typeof result.body === "string" ? result.body : new TextDecoder().decode(result.body as ArrayBuffer),
    injected: result.injected,
  };
}

describe("withIncludeUsage splices include_usage into the text", () => {
  const cases: [name: string, input: string, output: string][] = [
    [
      "no stream_options",
      '{"stream":true,"seed":9223372036854775807}',
      '{"stream_options":{"include_usage":true},"stream":true,"seed":9223372036854775807}',
    ],
    [
      "stream_options: {}",
      '{"stream":true,"stream_options":{},"seed":9223372036854775807}',
      '{"stream":true,"stream_options":{"include_usage":true},"seed":9223372036854775807}',
    ],
    [
      "stream_options with whitespace inside",
      '{"stream":true,"stream_options":{ \n },"seed":1e400}',
      '{"stream":true,"stream_options":{"include_usage":true \n },"seed":1e400}',
    ],
    [
      "stream_options with another option",
      '{"stream":true,"stream_options":{"x":1},"n":1.10}',
      '{"stream":true,"stream_options":{"include_usage":true,"x":1},"n":1.10}',
    ],
    [
      "stream_options: null",
      '{"stream":true, "stream_options" : null ,"n":1.10}',
      '{"stream":true, "stream_options" : {"include_usage":true} ,"n":1.10}',
    ],
    [
      "include_usage: false",
      '{"stream":true,"stream_options":{"include_usage":false,"x":[1]},"n":1.10}',
      '{"stream":true,"stream_options":{"include_usage":true,"x":[1]},"n":1.10}',
    ],
    [
      "include_usage : false with whitespace",
      '{"stream":true,"stream_options":{ "x": {"include_usage":false}, "include_usage" :  false }}',
      '{"stream":true,"stream_options":{ "x": {"include_usage":false}, "include_usage" :  true }}',
    ],
    [
      "the name written with escapes",
      '{"stream":true,"stream\\u005foptions":{},"n":1.10}',
      '{"stream":true,"stream\\u005foptions":{"include_usage":true},"n":1.10}',
    ],
  ];
  for (const [name, input, output] of cases) {
    it(`keeps every other byte with ${name}`, () => {
      expect(forwarded(input)).toEqual({ body: output, injected: true });
    });
  }

  it("is not fooled by stream_options inside a string value or a nested object", () => {
    const input =
      '{"note":"\\"stream_options\\":{}","tools":[{"stream_options":{}}],"meta":{"stream_options":null},"stream":true,"stream_options":{"x":1}}';
    expect(forwarded(input).body).toBe(input.replace('"stream_options":{"x":1}', '"stream_options":{"include_usage":true,"x":1}'));
  });

  it("splices beside members nested 100,000 deep, walking none of them", () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const input = `{"tools": ${deep}, "stream": true, "stream_options":{}, "more": ${deep}}`;
    expect(forwarded(input).body).toBe(input.replace('"stream_options":{}', '"stream_options":{"include_usage":true}'));
  });

  it("leaves the body as sent when the client asked for usage or did not stream", () => {
    for (const text of ['{"stream":true,"stream_options":{"include_usage":true}}', '{"stream":false,"stream_options":{}}', "{}"]) {
      expect(forwarded(text)).toEqual({ body: text, injected: false });
    }
  });
});
