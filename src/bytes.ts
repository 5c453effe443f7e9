/** The parts one after another in one new buffer, with `separator` (a byte) between them if given. */
export function concatBytes(parts: Uint8Array[], separator?: number): Uint8Array {
  const gaps = separator === undefined ? 0 : Math.max(parts.length - 1, 0);
  const out = new Uint8Array(parts.reduce((n, part) => n + part.byteLength, gaps));
  let at = 0;
  parts.forEach((part, index) => {
    if (separator !== undefined && index > 0) out[at++] = separator;
    out.set(part, at);
    at += part.byteLength;
  });
  return out;
}
