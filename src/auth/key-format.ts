/**
 * Gateway key format: `tgw_` + 32 base62 characters of randomness (~190 bits)
 * + 6 base62 characters of CRC32 over the random part.
 *
 * The checksum lets the gateway refuse a mistyped or truncated key without a
 * database read, and the fixed prefix lets secret scanners recognise a leaked key
 * (the same scheme GitHub uses for its tokens).
 *
 * This file has no imports so that Node scripts (the dev seeder) can load it too.
 */

export const KEY_PREFIX = "tgw_";
const RANDOM_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
export const KEY_LENGTH = KEY_PREFIX.length + RANDOM_LENGTH + CHECKSUM_LENGTH;
/** Characters of the random part shown in listings and logs, after the prefix. */
const DISPLAY_LENGTH = 6;

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE62_PATTERN = /^[0-9A-Za-z]+$/;

const CRC32_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) {
    crc = (CRC32_TABLE[(crc ^ text.charCodeAt(i)) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function checksum(randomPart: string): string {
  let value = crc32(randomPart);
  let out = "";
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

/** Uniform base62 characters from the CSPRNG (rejection sampling: no modulo bias). */
function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    const bytes = crypto.getRandomValues(new Uint8Array(length * 2));
    for (const byte of bytes) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

/** A new plaintext key. Shown to its owner once; only its hash is kept. */
export function generateKey(): string {
  const randomPart = randomBase62(RANDOM_LENGTH);
  return KEY_PREFIX + randomPart + checksum(randomPart);
}

/** True when the key has the gateway's shape and its checksum matches. */
export function isWellFormedKey(key: string): boolean {
  if (key.length !== KEY_LENGTH || !key.startsWith(KEY_PREFIX)) return false;
  const body = key.slice(KEY_PREFIX.length);
  if (!BASE62_PATTERN.test(body)) return false;
  const randomPart = body.slice(0, RANDOM_LENGTH);
  return body.slice(RANDOM_LENGTH) === checksum(randomPart);
}

/** The short, non-secret label stored beside the hash and shown in listings. */
export function displayPrefix(key: string): string {
  return key.slice(0, KEY_PREFIX.length + DISPLAY_LENGTH);
}

/** SHA-256 of the key, lower-case hex: the only form a key is stored in. */
export async function hashKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  let hex = "";
  for (const byte of new Uint8Array(digest)) hex += byte.toString(16).padStart(2, "0");
  return hex;
}
