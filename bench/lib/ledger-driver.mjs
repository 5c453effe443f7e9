// A timing worker beside the gateway, on the same D1 database, so that query times are taken
// inside workerd (a service binding to the gateway, the D1 binding for raw SQL) and carry
// none of the Node ↔ workerd proxy's round trips. workerd's clock advances across I/O, which
// is what these are.

import { BENCH_WORKER } from "./processes.mjs";

export const DRIVER = "ledger-driver";

const DRIVER_SCRIPT = `
export default {
  async fetch(request, env) {
    const { kind, sql, params = [], path, reps, binding = "DB", rows, perStatement } = await request.json();
    if (kind === "batch") {
      // One batch() of multi-row INSERTs, timed around the call alone.
      const db = env[binding];
      const statements = [];
      for (let at = 0; at < rows.length; at += perStatement) statements.push(db.prepare(sql).bind(...rows.slice(at, at + perStatement).flat()));
      const started = performance.now();
      await db.batch(statements);
      return Response.json({ ms: performance.now() - started, statements: statements.length });
    }
    async function once() {
      if (kind === "sql") return (await env.DB.prepare(sql).bind(...params).all()).results;
      const res = await env.GATEWAY.fetch("http://gateway.local" + path, { headers: { authorization: "Bearer " + env.ADMIN_TOKEN } });
      const text = await res.text();
      if (res.status !== 200) throw new Error("GET " + path + ": " + res.status + " " + text.slice(0, 300));
      return JSON.parse(text).data;
    }
    let at = performance.now();
    const result = await once();
    const firstMs = performance.now() - at;
    const times = [];
    at = performance.now();
    const warmStart = at;
    for (let i = 0; i < reps; i++) {
      await once();
      const now = performance.now();
      times.push(now - at);
      at = now;
    }
    return Response.json({ firstMs, times, meanMs: reps > 0 ? (performance.now() - warmStart) / reps : null, result });
  },
};
`;

/**
 * The driver's worker options (Miniflare 4 shape): DB is `database`, `extraDatabases` ({BINDING:
 * database}) for batch jobs on the others; GATEWAY is the gateway worker.
 */
export function driverWorker({ database, extraDatabases = {}, gateway, adminToken }) {
  return {
    name: DRIVER,
    modules: true,
    compatibilityDate: BENCH_WORKER.compatibilityDate,
    script: DRIVER_SCRIPT,
    bindings: { ADMIN_TOKEN: adminToken },
    d1Databases: { DB: database, ...extraDatabases },
    serviceBindings: { GATEWAY: gateway },
  };
}

/** Runs `job` ({kind: "sql", sql, params} or {kind: "api", path}) once, then `reps` times; times in ms, taken in workerd. */
export async function timeInWorkerd(mf, job, reps) {
  const driver = await mf.getWorker(DRIVER);
  const res = await driver.fetch("http://driver.local/", { method: "POST", body: JSON.stringify({ ...job, reps }) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`driver: ${res.status} ${text.slice(0, 400)}`);
  return JSON.parse(text);
}

/** One batch() of `rows` (arrays of values) as INSERTs of `perStatement` rows, run in workerd on `binding`; its ms. */
export async function batchInWorkerd(mf, { binding, sql, rows, perStatement }) {
  const driver = await mf.getWorker(DRIVER);
  const res = await driver.fetch("http://driver.local/", {
    method: "POST",
    body: JSON.stringify({ kind: "batch", binding, sql, rows, perStatement }),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`driver: ${res.status} ${text.slice(0, 400)}`);
  return JSON.parse(text).ms;
}
