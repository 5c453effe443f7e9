/**
 * mulberry32: a small, fast, seeded PRNG; `next()` is uniform in [0, 1) and the same in Node and
 * workerd. For load that must be the same run after run (the bench's ledger rows, the soak's plan,
 * the demo usage of `npm run dev`).
 */
export function prng(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
