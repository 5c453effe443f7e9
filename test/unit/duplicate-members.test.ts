import { describe, expect, it } from "vitest";
import { GatewayError } from "../../src/errors";
import { assertNoDuplicateMembers } from "../../src/proxy/duplicate-members";

/** The `param` the check refuses with, or null when it lets the body through. */
function refused(text: string): string | null {
  JSON.parse(text); // every body reaching the check has passed JSON.parse
  try {
    assertNoDuplicateMembers(text);
    return null;
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err;
    expect(err).toMatchObject({ status: 400, code: "invalid_request_body" });
    return err.param;
  }
}

const CHECKED = ["model", "stream", "stream_options", "max_tokens", "max_completion_tokens", "messages", "prompt", "input"];

describe("assertNoDuplicateMembers", () => {
  it("refuses a top-level model written twice (the allowlist bypass)", () => {
    expect(refused('{"model":"llama-3.3-70b","model":"llama-3.1-8b","messages":[]}')).toBe("model");
  });

  for (const name of CHECKED) {
    it(`refuses ${name} twice, and ${name} beside a different letter case`, () => {
      expect(refused(`{"${name}":1,"x":2,"${name}":3}`)).toBe(name);
      expect(refused(`{"${name}":1,"${name.toUpperCase()}":3}`)).toBe(name);
    });
  }

  it("refuses Model beside model, and a name spelled with escapes", () => {
    expect(refused('{"Model":"llama-3.3-70b","model":"llama-3.1-8b"}')).toBe("model");
    expect(refused('{"model":"llama-3.3-70b","mod\\u0065l":"llama-3.1-8b"}')).toBe("model");
    expect(refused('{"model":"a","\\u004dODEL":"b"}')).toBe("model");
  });

  it("refuses include_usage twice inside stream_options", () => {
    expect(refused('{"stream":true,"stream_options":{"include_usage":false,"include_usage":true}}')).toBe("stream_options.include_usage");
    expect(refused('{"stream_options":{"include_usage":true,"Include_Usage":false}}')).toBe("stream_options.include_usage");
  });

  it("lets through checked names that appear once at the top and again only nested or inside strings", () => {
    expect(
      refused('{"model":"a","messages":[{"role":"user","content":"\\"model\\": \\"b\\""}],"tools":[{"model":1,"input":{"input":2}}]}'),
    ).toBeNull();
    expect(
      refused('{"model":"a","metadata":{"model":"b","Model":"c"},"stream_options":{"x":{"include_usage":1},"include_usage":true}}'),
    ).toBeNull();
  });

  it("lets through duplicates of names the gateway does not read", () => {
    expect(refused('{"model":"a","seed":1,"seed":2,"user":"x","user":"y"}')).toBeNull();
  });

  it("does not recurse on a body nested 100,000 deep that forces the full scan", () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    expect(refused(`{"model":"a","x":${deep},"input":{"model":1},"model":"b"}`)).toBe("model");
  });

  it("costs little next to JSON.parse for a 10 MB body, with or without the full scan", () => {
    const filler = `{"role":"user","content":"${"lorem ipsum ".repeat(80)}"}`;
    const common = `{"model":"m","messages":[${Array.from({ length: 10_500 }, () => filler).join(",")}]}`;
    const scanned = `{"model":"m","messages":[${Array.from({ length: 10_500 }, () => `{"model":1,"content":"${"lorem ipsum ".repeat(80)}"}`).join(",")}]}`;
    expect(common.length).toBeGreaterThan(10_000_000);
    const time = (work: () => void) => {
      let best = Number.POSITIVE_INFINITY;
      for (let run = 0; run < 3; run++) {
        const started = performance.now();
        work();
        best = Math.min(best, performance.now() - started);
      }
      return best;
    };
    const parse = time(() => JSON.parse(common));
    const precheck = time(() => assertNoDuplicateMembers(common));
    const fullScan = time(() => assertNoDuplicateMembers(scanned));
    console.log(JSON.stringify({ parse_ms: parse, precheck_ms: precheck, full_scan_ms: fullScan }));
    expect(precheck).toBeLessThan(Math.max(2 * parse, 50));
    expect(fullScan).toBeLessThan(Math.max(3 * parse, 100));
  });
});

describe("names that fold to a checked name under Unicode case folding", () => {
  it("refuses max_tokens beside max_to\\u212Aens (the KELVIN SIGN, written as an escape)", () => {
    expect(() => assertNoDuplicateMembers('{"model":"m","max_tokens":1,"max_to\\u212Aens":100000}')).toThrow(/max_tokens/);
  });

  it("refuses stream beside \\u017Ftream (LATIN SMALL LETTER LONG S, written as an escape)", () => {
    expect(() => assertNoDuplicateMembers('{"model":"m","stream":true,"\\u017Ftream":false}')).toThrow(/stream/);
  });
});
