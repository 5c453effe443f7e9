import { GatewayError } from "../errors";
import { type MemberSpan, objectMembers } from "../json/object-members";

/**
 * The top-level members the gateway reads to decide (allowlist, metering, the
 * include_usage rewrite). JSON.parse keeps the last of duplicate names, a parser
 * upstream may keep the first, and some match names without regard to case: a
 * body holding one of these twice is read one way here and another way there
 * (`"model"` twice passes the allowlist with one model and bills the other).
 */
const CHECKED_MEMBERS = ["model", "stream", "stream_options", "max_tokens", "max_completion_tokens", "messages", "prompt", "input"];
const CHECKED_STREAM_OPTIONS = ["include_usage"];

/**
 * A name of interest written as a member name (`"name"` then `:`), in any letter
 * case, Unicode's included (`u`: the KELVIN SIGN matches `k`, the long `ſ` matches
 * `s`, as Go's encoding/json folds them). Native and linear: on the common path this
 * is the whole cost of the check.
 */
const CHECKED_NAME = /"(model|stream|stream_options|max_tokens|max_completion_tokens|messages|prompt|input|include_usage)"[ \t\r\n]*:/giu;

/**
 * A name folded the way case-insensitive JSON decoders compare names (Unicode simple
 * case folding): upper case first maps `K` (U+212A) to `K` and `ſ` (U+017F) to `S`.
 */
function folded(name: string): string {
  return name.toUpperCase().toLowerCase();
}
/**
 * `\u0041`…`\u007f`: an escaped ASCII letter, digit or `_` could spell a checked
 * name that the search above does not see as text (`"mod\u0065l"`); so could the two
 * characters that fold to ASCII letters (`\u017f` ſ, `\u212a` K).
 */
const ESCAPED_ASCII = /\\u(?:00[4-7][0-9a-f]|017f|212a)/i;

/** True when some checked name occurs at least twice, anywhere: only then is a real scan needed. */
function mayHoldDuplicates(text: string): boolean {
  if (ESCAPED_ASCII.test(text)) return true;
  const seen = new Set<string>();
  CHECKED_NAME.lastIndex = 0;
  for (let match = CHECKED_NAME.exec(text); match !== null; match = CHECKED_NAME.exec(text)) {
    const name = folded(match[1] as string);
    if (seen.has(name)) return true;
    seen.add(name);
  }
  return false;
}

/** The first of `checked` that two members share, ignoring letter case, or null. */
function duplicated(members: MemberSpan[], checked: string[]): string | null {
  const seen = new Set<string>();
  for (const member of members) {
    const name = folded(member.name);
    if (!checked.includes(name)) continue;
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return null;
}

function refuse(param: string): never {
  throw new GatewayError(
    400,
    "invalid_request_body",
    `Invalid request body: \`${param}\` appears more than once (names differing only in letter case count as the same).`,
    { param },
  );
}

/**
 * 400 invalid_request_body for a body (already accepted by JSON.parse as an
 * object) in which a checked member appears twice, or twice in different letter
 * case; `param` names it. `stream_options.include_usage` is checked the same way.
 */
export function assertNoDuplicateMembers(text: string): void {
  if (!mayHoldDuplicates(text)) return;
  const members = objectMembers(text);
  if (members === null) throw new GatewayError(400, "invalid_json", "Request body is not valid JSON.");
  const top = duplicated(members, CHECKED_MEMBERS);
  if (top !== null) refuse(top);
  const streamOptions = members.find((member) => folded(member.name) === "stream_options");
  if (streamOptions === undefined) return;
  const inner = objectMembers(text, streamOptions.valueStart);
  // null, or not an object: the schema check answers for that.
  if (inner !== null && duplicated(inner, CHECKED_STREAM_OPTIONS) !== null) refuse("stream_options.include_usage");
}
