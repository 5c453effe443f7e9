import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { objectMembers } from "../../src/json/object-members";

/** Each member's name and value as written, read back through the spans. */
function spans(text: string): [string, unknown][] | null {
  const members = objectMembers(text);
  return members === null ? null : members.map((member) => [member.name, JSON.parse(text.slice(member.valueStart, member.valueEnd))]);
}

describe("objectMembers", () => {
  it("finds the members of any JSON object JSON.stringify writes, with their exact values", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.integer({ min: 0, max: 2 }), (object, indent) => {
        const text = JSON.stringify(object, null, indent);
        expect(spans(text)).toEqual(Object.entries(JSON.parse(text)));
      }),
      { numRuns: 300 },
    );
  });

  it("keeps duplicates in the order written, and decodes escaped names", () => {
    expect(spans('{"model":"a", "mod\\u0065l" :"b","x":{"model":"c"}}')).toEqual([
      ["model", "a"],
      ["model", "b"],
      ["x", { model: "c" }],
    ]);
  });

  it("skips strings holding brackets, quotes and backslashes", () => {
    expect(spans('{"a":"}]\\"{[\\\\","b":[ "]", {"c":"}"} ],"d":-1.5e3,"e":true,"f":null}')).toEqual([
      ["a", '}]"{[\\'],
      ["b", ["]", { c: "}" }]],
      ["d", -1500],
      ["e", true],
      ["f", null],
    ]);
  });

  it("skips a value nested 100,000 deep without recursion", () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const members = objectMembers(`{"a":${deep},"b":1}`);
    expect(members?.map((member) => member.name)).toEqual(["a", "b"]);
  });

  it("reads an object nested in a text from where its brace is", () => {
    const text = '{"stream_options": { "include_usage": false }}';
    expect(objectMembers(text, text.indexOf("{", 1))?.map((member) => text.slice(member.valueStart, member.valueEnd))).toEqual(["false"]);
  });

  it("gives null for text that is not an object", () => {
    for (const text of ["[1]", '{"a" 1}', '{"a":1', '{"a":"x}', "{,}"]) expect(objectMembers(text), text).toBeNull();
  });
});
