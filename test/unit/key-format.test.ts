import { describe, expect, it } from "vitest";
import { displayPrefix, generateKey, hashKey, isWellFormedKey, KEY_LENGTH } from "../../src/auth/key-format";

describe("gateway key format", () => {
  it("generates keys with the tgw_ prefix, the documented length and a valid checksum", () => {
    const key = generateKey();
    expect(key).toMatch(/^tgw_[0-9A-Za-z]+$/);
    expect(key).toHaveLength(KEY_LENGTH);
    expect(isWellFormedKey(key)).toBe(true);
  });

  it("never generates the same key twice in 1,000 draws", () => {
    const keys = new Set(Array.from({ length: 1000 }, generateKey));
    expect(keys.size).toBe(1000);
  });

  it("refuses a key with one character changed (the checksum catches typos)", () => {
    const key = generateKey();
    const i = 10;
    const swapped = key.slice(0, i) + (key[i] === "a" ? "b" : "a") + key.slice(i + 1);
    expect(isWellFormedKey(swapped)).toBe(false);
  });

  it("refuses a truncated key, a key with another prefix and one with non-base62 characters", () => {
    const key = generateKey();
    expect(isWellFormedKey(key.slice(0, -1))).toBe(false);
    expect(isWellFormedKey(`sk_${key.slice(4)}`)).toBe(false);
    expect(isWellFormedKey(`${key.slice(0, -7)}-${key.slice(-6)}`)).toBe(false);
  });

  it("shows only the prefix and six characters for display", () => {
    const key = generateKey();
    expect(displayPrefix(key)).toBe(key.slice(0, 10));
  });

  it("hashes to the SHA-256 hex digest", async () => {
    // SHA-256("abc") from FIPS 180-2, appendix B.1.
    expect(await hashKey("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
