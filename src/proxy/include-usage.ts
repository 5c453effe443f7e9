import { GatewayError } from "../errors";
import { findMember, objectMembers } from "../json/object-members";
import type { ProxiedBody } from "./schemas";

const INCLUDE_USAGE_MEMBER = '"stream_options":{"include_usage":true},';
const INCLUDE_USAGE_OBJECT = '{"include_usage":true}';

export interface ForwardedBody {
  body: BodyInit;
  /** True when the gateway, not the client, asked for usage. */
  injected: boolean;
}

/**
 * A streamed chat or completions request gets `stream_options.include_usage:
 * true` so that usage is certain. Everything else goes upstream byte for byte.
 *
 * The change is always a splice into the text the client sent, never a
 * re-serialisation: JSON.stringify would turn `"seed":9223372036854775807` into
 * 9223372036854776000, reorder nothing but reformat everything, and recurse on
 * whatever depth the client chose. Duplicate names were refused before this
 * (duplicate-members.ts), so the member found here is the one every parser reads.
 */
export function withIncludeUsage(raw: ArrayBuffer, text: string, body: ProxiedBody): ForwardedBody {
  if (body.stream !== true || body.stream_options?.include_usage === true) return { body: raw, injected: false };
  if (!("stream_options" in body)) {
    const brace = text.indexOf("{");
    return { body: text.slice(0, brace + 1) + INCLUDE_USAGE_MEMBER + text.slice(brace + 1), injected: true };
  }
  return { body: withUsageInStreamOptions(text), injected: true };
}

/** `stream_options` is null, or an object whose include_usage is absent or false (the schema allows nothing else). */
function withUsageInStreamOptions(text: string): string {
  const members = objectMembers(text);
  const options = members && findMember(members, "stream_options");
  if (!options) return cannotSplice();
  const splice = (start: number, end: number, insert: string) => text.slice(0, start) + insert + text.slice(end);
  if (text.startsWith("null", options.valueStart)) return splice(options.valueStart, options.valueEnd, INCLUDE_USAGE_OBJECT);
  const inner = objectMembers(text, options.valueStart);
  if (inner === null) return cannotSplice();
  const flag = findMember(inner, "include_usage");
  if (flag === undefined) {
    const at = options.valueStart + 1;
    return splice(at, at, inner.length === 0 ? '"include_usage":true' : '"include_usage":true,');
  }
  if (text.slice(flag.valueStart, flag.valueEnd) !== "false") return cannotSplice();
  return splice(flag.valueStart, flag.valueEnd, "true");
}

/** Not reachable for a body JSON.parse accepted; refused rather than sent changed in some other way. */
function cannotSplice(): never {
  throw new GatewayError(400, "invalid_request_body", "Invalid request body: `stream_options` could not be amended to ask for usage.", {
    param: "stream_options",
  });
}
