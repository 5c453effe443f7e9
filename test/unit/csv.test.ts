import { describe, expect, it } from "vitest";
import { csvCell, csvDocument } from "../../src/admin/csv";

describe("csvCell", () => {
  for (const [text, cell] of [
    ["=1+1", "'=1+1"],
    ["+1", "'+1"],
    ["-5", "'-5"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["\t=1", "'\t=1"],
    ["\r=1", `"'\r=1"`],
    ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
  ] as const) {
    it(`defuses text starting a formula, ${JSON.stringify(text)} → ${JSON.stringify(cell)}`, () => {
      expect(csvCell(text)).toBe(cell);
    });
  }

  it("leaves text that cannot start a formula alone, quoting only what RFC 4180 asks", () => {
    expect(csvCell("llama-3.3-70b")).toBe("llama-3.3-70b");
    expect(csvCell(" =1")).toBe(" =1");
    expect(csvCell("'=1")).toBe("'=1");
    expect(csvCell('a,"b"')).toBe('"a,""b"""');
    expect(csvCell("a\nb")).toBe('"a\nb"');
  });

  it("writes numbers as numbers, a negative one too (a total is never client text), and null as an empty field", () => {
    expect(csvCell(42)).toBe("42");
    expect(csvCell(-5)).toBe("-5");
    expect(csvCell(null)).toBe("");
    expect(csvCell(undefined)).toBe("");
  });
});

describe("csvDocument", () => {
  it("writes a header row and one CRLF-terminated line per row, every cell through csvCell", () => {
    const rows = [{ model: "=cmd", requests: 2 }];
    expect(csvDocument(["model", "requests"], rows)).toBe("model,requests\r\n'=cmd,2\r\n");
  });
});
