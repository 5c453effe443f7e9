/**
 * Secret formats: a fixed prefix + 32 base62 characters of randomness (~190 bits)
 * + 6 base62 characters of CRC32 over the random part. Gateway keys start `tgw_`,
 * operator tokens (the admin API's named credentials) `tgo_`.
 *
 * The checksum lets the gateway refuse a mistyped or truncated secret without a
 * database read, and the fixed prefix lets secret scanners recognise a leaked one
 * and tell a gateway key from an admin credential (the same scheme GitHub uses for
 * its tokens).
 *
 * This file has no imports so that Node scripts (the dev seeder) can load it too.
 */

export const KEY_PREFIX = "tgw_";
export const OPERATOR_TOKEN_PREFIX = "tgo_";
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

/** A new plaintext secret with `prefix`. Shown to its owner once; only its hash is kept. */
export function generateSecret(prefix: string): string {
  const randomPart = randomBase62(RANDOM_LENGTH);
  return prefix + randomPart + checksum(randomPart);
}

/** True when the secret has this prefix, the format's length and a matching checksum. */
export function isWellFormedSecret(secret: string, prefix: string): boolean {
  if (secret.length !== prefix.length + RANDOM_LENGTH + CHECKSUM_LENGTH || !secret.startsWith(prefix)) return false;
  const body = secret.slice(prefix.length);
  if (!BASE62_PATTERN.test(body)) return false;
  const randomPart = body.slice(0, RANDOM_LENGTH);
  return body.slice(RANDOM_LENGTH) === checksum(randomPart);
}

/** The short, non-secret label stored beside the hash and shown in listings (the prefix + 6 characters). */
export function secretDisplayPrefix(secret: string, prefix: string): string {
  return secret.slice(0, prefix.length + DISPLAY_LENGTH);
}

/** A new plaintext key. Shown to its owner once; only its hash is kept. */
export function generateKey(): string {
  return generateSecret(KEY_PREFIX);
}

/** True when the key has the gateway's shape and its checksum matches. */
export function isWellFormedKey(key: string): boolean {
  return isWellFormedSecret(key, KEY_PREFIX);
}

/** The short, non-secret label stored beside the hash and shown in listings. */
export function displayPrefix(key: string): string {
  return secretDisplayPrefix(key, KEY_PREFIX);
}

/** A new operator token (`tgo_…`), same discipline as a gateway key. */
export function generateOperatorToken(): string {
  return generateSecret(OPERATOR_TOKEN_PREFIX);
}

export function isWellFormedOperatorToken(token: string): boolean {
  return isWellFormedSecret(token, OPERATOR_TOKEN_PREFIX);
}

export function operatorTokenPrefix(token: string): string {
  return secretDisplayPrefix(token, OPERATOR_TOKEN_PREFIX);
}

/** SHA-256 of the key (or operator token), lower-case hex: the only form a secret is stored in. */
export async function hashKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  let hex = "";
  for (const byte of new Uint8Array(digest)) hex += byte.toString(16).padStart(2, "0");
  return hex;
}
