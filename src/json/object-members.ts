/**
 * Finds the members of one JSON object in its text: each member's name (decoded)
 * and where its value starts and ends. Used where the gateway must see the body
 * as a parser upstream would (duplicate names) or change it without re-serialising
 * (stream_options), so that every other byte stays as the client sent it.
 *
 * One pass, no recursion: nested values are skipped with a depth counter, strings
 * with a search for the next quote or backslash, both native regex scans, so a
 * 100,000-deep array costs what its bytes cost. The text is expected to be JSON
 * that JSON.parse already accepted; anything else gives null, never a guess.
 */

export interface MemberSpan {
  /** The member's name as JSON.parse reads it (escapes decoded). */
  name: string;
  /** Index of the name's opening quote. */
  nameStart: number;
  /** Index of the value's first character. */
  valueStart: number;
  /** Index just past the value's last character. */
  valueEnd: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;

/** What changes the depth inside a nested value: brackets, and strings that may hold them. */
const NESTED_STOP = /["[\]{}]/g;
/** The end of a literal (number, true, false, null). */
const LITERAL_STOP = /[,\]}\s]/g;

function isJsonSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

function skipSpace(text: string, at: number): number {
  let i = at;
  while (i < text.length && isJsonSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Index just past the string that opens at `at`, or -1. */
export function stringEnd(text: string, at: number): number {
  if (text.charCodeAt(at) !== QUOTE) return -1;
  let quote = text.indexOf('"', at + 1);
  while (quote !== -1) {
    // A quote ends the string unless an odd run of backslashes escapes it (`\\"` ends it, `\"` does not).
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    quote = text.indexOf('"', quote + 1);
  }
  return -1;
}

/** Index just past the array or object that opens at `at`, or -1. */
function nestedEnd(text: string, at: number): number {
  let depth = 1;
  NESTED_STOP.lastIndex = at + 1;
  for (;;) {
    const stop = NESTED_STOP.exec(text);
    if (stop === null) return -1;
    const code = text.charCodeAt(stop.index);
    if (code === QUOTE) {
      const end = stringEnd(text, stop.index);
      if (end === -1) return -1;
      NESTED_STOP.lastIndex = end;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      depth++;
    } else if (--depth === 0) {
      return stop.index + 1;
    }
  }
}

/** Index just past the value that starts at `at`, or -1. */
export function valueEnd(text: string, at: number): number {
  const code = text.charCodeAt(at);
  if (code === QUOTE) return stringEnd(text, at);
  if (code === OPEN_BRACE || code === OPEN_BRACKET) return nestedEnd(text, at);
  LITERAL_STOP.lastIndex = at;
  const stop = LITERAL_STOP.exec(text);
  const end = stop === null ? text.length : stop.index;
  return end > at ? end : -1;
}

function memberName(text: string, start: number, end: number): string | null {
  const inner = text.slice(start + 1, end - 1);
  if (!inner.includes("\\")) return inner;
  try {
    // A string literal: JSON.parse decodes its escapes exactly as it did for the body.
    return JSON.parse(text.slice(start, end)) as string;
  } catch {
    return null;
  }
}

/**
 * The members of the object whose `{` is at `openAt` (default: the first
 * non-space character), in the order written, duplicates included. Null when the
 * text there is not a well-formed object.
 */
export function objectMembers(text: string, openAt = skipSpace(text, 0)): MemberSpan[] | null {
  if (text.charCodeAt(openAt) !== OPEN_BRACE) return null;
  const members: MemberSpan[] = [];
  let i = skipSpace(text, openAt + 1);
  if (text.charCodeAt(i) === CLOSE_BRACE) return members;
  for (;;) {
    const nameStart = i;
    const nameEnd = stringEnd(text, nameStart);
    if (nameEnd === -1) return null;
    const name = memberName(text, nameStart, nameEnd);
    i = skipSpace(text, nameEnd);
    if (name === null || text.charCodeAt(i) !== COLON) return null;
    const valueStart = skipSpace(text, i + 1);
    const end = valueEnd(text, valueStart);
    if (end === -1) return null;
    members.push({ name, nameStart, valueStart, valueEnd: end });
    i = skipSpace(text, end);
    const next = text.charCodeAt(i);
    if (next === CLOSE_BRACE) return members;
    if (next !== COMMA) return null;
    i = skipSpace(text, i + 1);
  }
}

/** The member named exactly `name` that JSON.parse keeps (the last), or undefined. */
export function findMember(members: MemberSpan[], name: string): MemberSpan | undefined {
  return members.findLast((member) => member.name === name);
}
