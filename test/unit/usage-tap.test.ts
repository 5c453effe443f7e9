import { describe, expect, it } from "vitest";

describe("probe", () => {
  it("probes IdentityTransformStream", async () => {
    const log: string[] = [];
    const { readable, writable } = new IdentityTransformStream();
    const writer = writable.getWriter();
    writer.closed.then(() => log.push("closed ok"), (e) => log.push("closed rejected " + String(e)));
    const buf = new TextEncoder().encode("hello world");
    const a = buf.subarray(0, 5);
    const b = buf.subarray(5);
    const reader = readable.getReader();
    let resolved = false;
    const w1 = writer.write(a).then(() => { resolved = true; });
    await new Promise((r) => setTimeout(r, 20));
    log.push("w1 resolved before read: " + resolved);
    log.push("buf length after write: " + buf.length + " b len " + b.length + " a len " + a.length);
    const r1 = await reader.read();
    await w1;
    log.push("read1: " + new TextDecoder().decode(r1.value) + " buf len " + buf.length + " b len " + b.length);
    // empty write
    try { const p = writer.write(new Uint8Array(0)); await Promise.race([p, new Promise((r) => setTimeout(r, 20))]); log.push("empty write ok"); } catch (e) { log.push("empty write threw " + String(e)); }
    const w2 = writer.write(b);
    const r2 = await reader.read();
    await w2;
    log.push("read2: " + new TextDecoder().decode(r2.value));
    const w3 = writer.write(new TextEncoder().encode("more"));
    await new Promise((r) => setTimeout(r, 10));
    await reader.cancel("bye");
    try { await w3; log.push("w3 ok"); } catch (e) { log.push("w3 rejected " + String(e)); }
    try { await writer.write(new TextEncoder().encode("x")); log.push("w4 ok"); } catch (e) { log.push("w4 rejected " + String(e)); }
    await new Promise((r) => setTimeout(r, 10));
    console.log(log.join("\n"));
    expect(1).toBe(1);
  });
});
