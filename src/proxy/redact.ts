import { concatBytes } from "../bytes";
import { GatewayError } from "../errors";

/**
 * The gateway's Tensoras key must never reach a caller, even should Tensoras echo
 * it (an "invalid key: tns_…" error, a WWW-Authenticate challenge). Headers of every
 * answer and the body of every error are searched for it, as written and in its
 * escaped forms (JSON `\uXXXX` and `\/`, URL `%XX`, nested up to MAX_DECODE_PASSES
 * deep), and each occurrence is replaced with REDACTED.
 */

/** Error bodies are read up to this size; a larger one cannot be checked, so it is not passed on. */
export const MAX_REDACTED_ERROR_BYTES = 64 * 1024;
export const REDACTED = "[redacted]";
/** Layers of escaping undone: a key in JSON, in a JSON string inside JSON, in a URL inside that. */
const MAX_DECODE_PASSES = 3;

const SHORT_ESCAPES = new Map([
  ['"', '"'],
  ["\\", "\\"],
  ["/", "/"],
  ["b", "\b"],
  ["f", "\f"],
  ["n", "\n"],
  ["r", "\r"],
  ["t", "\t"],
]);
const HEX4 = /^[0-9a-fA-F]{4}$/;
const HEX2 = /^[0-9a-fA-F]{2}$/;

/**
 * A text with its escapes undone once, and for each of its UTF-16 units the index in
 * `text` where that unit's spelling starts (plus one entry for the end): a match in the
 * decoded text maps back to the exact span that spelt it. Null when nothing was escaped.
 */
function unescapeOnce(text: string): { text: string; from: Int32Array } | null {
  const units: string[] = [];
  const from = new Int32Array(text.length + 1);
  let decoded = false;
  let i = 0;
  while (i < text.length) {
    from[units.length] = i;
    const ch = text[i] as string;
    const next = text[i + 1];
    if (ch === "\\" && next === "u" && HEX4.test(text.slice(i + 2, i + 6))) {
      units.push(String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 6), 16)));
      i += 6;
    } else if (ch === "\\" && next !== undefined && SHORT_ESCAPES.has(next)) {
      units.push(SHORT_ESCAPES.get(next) as string);
      i += 2;
    } else if (ch === "%" && HEX2.test(text.slice(i + 1, i + 3))) {
      units.push(String.fromCharCode(Number.parseInt(text.slice(i + 1, i + 3), 16)));
      i += 3;
    } else {
      units.push(ch);
      i += 1;
      continue;
    }
    decoded = true;
  }
  from[units.length] = text.length;
  return decoded ? { text: units.join(""), from: from.subarray(0, units.length + 1) } : null;
}

/** Every span of `text` that spells `key`, plainly or escaped; linear: at most MAX_DECODE_PASSES + 1 scans. */
function keySpans(text: string, key: string): [number, number][] {
  const spans: [number, number][] = [];
  let layer = text;
  // origin[j]: where unit j of `layer` starts in `text`; null while layer is text itself.
  let origin: Int32Array | null = null;
  for (let pass = 0; ; pass++) {
    for (let at = layer.indexOf(key); at !== -1; at = layer.indexOf(key, at + key.length)) {
      spans.push(origin === null ? [at, at + key.length] : [origin[at] as number, origin[at + key.length] as number]);
    }
    if (pass === MAX_DECODE_PASSES || !/[\\%]/.test(layer)) return spans;
    const next = unescapeOnce(layer);
    if (next === null) return spans;
    const base: Int32Array | null = origin;
    origin = base === null ? next.from : next.from.map((index) => base[index] as number);
    layer = next.text;
  }
}

/** `text` with every span replaced by REDACTED (spans may overlap and come in any order). */
function replaceSpans(text: string, spans: [number, number][]): string {
  spans.sort((a, b) => a[0] - b[0]);
  const parts: string[] = [];
  let at = 0;
  for (const [start, end] of spans) {
    // Overlapping the span just redacted (the same key found again one layer deeper): widen it.
    if (start < at) {
      at = Math.max(at, end);
      continue;
    }
    parts.push(text.slice(at, start), REDACTED);
    at = end;
  }
  parts.push(text.slice(at));
  return parts.join("");
}

/** `text` with the key redacted, or null if it holds the key in no form. */
export function redactKey(text: string, key: string): string | null {
  if (key === "") return null;
  const spans = keySpans(text, key);
  return spans.length === 0 ? null : replaceSpans(text, spans);
}

/**
 * The caller's copy of upstream's headers with the key redacted. A header that holds
 * it keeps its name and the rest of its value (a WWW-Authenticate challenge stays one).
 */
export function redactHeaders(headers: Headers, key: string): Headers {
  const changed: [string, string][] = [];
  for (const [name, value] of headers) {
    const redacted = redactKey(value, key);
    if (redacted !== null) changed.push([name, redacted]);
  }
  for (const [name, value] of changed) headers.set(name, value);
  return headers;
}

/** The whole body if it is at most `limit` bytes, else null, having read at most one chunk past the limit. */
async function readAtMost(body: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array | null> {
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  while (size <= limit) {
    const { done, value } = await reader.read();
    if (done) return concatBytes(parts);
    parts.push(value);
    size += value.byteLength;
  }
  reader.cancel().catch(() => {});
  return null;
}

function unscannable(status: number): GatewayError {
  return new GatewayError(
    502,
    "upstream_error_unreadable",
    `Tensoras answered ${status} with an error body over ${MAX_REDACTED_ERROR_BYTES} bytes, too large to check for secrets; it was not passed on.`,
  );
}

/**
 * An upstream error body, fit to pass on: read with a bound (never whole), the key
 * redacted, bytes unchanged when there is nothing to redact. Throws a 502 GatewayError
 * for a body too large to scan; a body that breaks off rejects with the read's error.
 */
export async function redactedErrorBody(response: Response, upstreamKey: string): Promise<Uint8Array | string | null> {
  if (response.body === null) return null;
  if (Number(response.headers.get("content-length") ?? 0) > MAX_REDACTED_ERROR_BYTES) {
    response.body.cancel().catch(() => {});
    throw unscannable(response.status);
  }
  const bytes = await readAtMost(response.body, MAX_REDACTED_ERROR_BYTES);
  if (bytes === null) throw unscannable(response.status);
  // Decoded only to search: the bytes go back untouched unless something was redacted.
  return redactKey(new TextDecoder("utf-8", { fatal: false, ignoreBOM: true }).decode(bytes), upstreamKey) ?? bytes;
}
