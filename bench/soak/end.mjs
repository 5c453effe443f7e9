// The admin side of a soak: keys minted through the admin API, and the end of the run
// (queue drained, dead letters replayed, the sweep run through the scheduled handler,
// then the ledger, CSV and audit read back). Every admin response is kept for the scan.
import { setTimeout as sleep } from "node:timers/promises";

/** One admin call; the response text goes to `admin.responses` (the secret scan reads it). */
export async function adminCall(admin, method, path, body) {
  const res = await fetch(`${admin.origin()}${path}`, {
    method,
    headers: { authorization: `Bearer ${admin.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const where = `${method} ${path} #${admin.responses.length}`;
  admin.responses.push({ where, text: `${JSON.stringify([...res.headers])}\n${text}` });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return { where, text, json: res.headers.get("content-type")?.includes("json") ? JSON.parse(text) : null };
}

/** `teams` teams with `perTeam` keys each, through POST /admin/teams and POST /admin/teams/{id}/keys. */
export async function mintKeys(admin, teams, perTeam) {
  const keys = [];
  const run = Date.now().toString(36);
  for (let t = 0; t < teams; t++) {
    const { json: team } = await adminCall(admin, "POST", "/admin/teams", { name: `soak ${run} team ${t + 1}` });
    for (let k = 0; k < perTeam; k++) {
      const { json: key, where } = await adminCall(admin, "POST", `/admin/teams/${team.id}/keys`, { name: `soak key ${k + 1}` });
      keys.push({ id: key.id, teamId: team.id, key: key.key, mintedIn: where });
    }
  }
  return keys;
}

async function count(db, table) {
  return (await db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).first()).n;
}

/**
 * Brings the ledger to rest: the queue drained, dead letters replayed, every started
 * note old enough for the sweep, then the sweep (the Worker's scheduled handler, with
 * its injected D1 faults) run until no note is left open, or `timeoutMs` passes.
 */
export async function finishLedger({ gw, admin, interruptedAfterS, sweep, timeoutMs }) {
  const deadline = Date.now() + timeoutMs;
  const drainMs = await gw.drainQueue(timeoutMs);
  const deadLetters = new Map();
  let replayed = 0;
  const replay = async () => {
    for (const row of (await gw.db.prepare("SELECT * FROM usage_dead_letters").all()).results) deadLetters.set(row.message_id, row);
    for (let round = 0; round < 10 && (await count(gw.db, "usage_dead_letters")) > 0; round++) {
      replayed += (await adminCall(admin, "POST", "/admin/usage/replay", { limit: 1000 })).json.replayed;
    }
  };
  await replay();
  await gw.drainQueue(timeoutMs);

  const newest = (await gw.db.prepare("SELECT MAX(started_at) AS at FROM usage_started").first()).at;
  if (newest !== null) {
    const due = Date.parse(newest) + interruptedAfterS * 1000 + 1000;
    if (due > deadline) throw new Error(`a started note from ${newest} is not due before the soak's deadline`);
    await sleep(Math.max(0, due - Date.now()));
  }
  let sweeps = 0;
  while ((await count(gw.db, "usage_started")) > 0 && Date.now() < deadline) {
    sweeps++;
    await sweep();
  }
  await replay();
  const health = (await adminCall(admin, "GET", "/admin/health")).json;
  return {
    drainMs,
    sweeps,
    replayed,
    openStarted: await count(gw.db, "usage_started"),
    deadLettersLeft: await count(gw.db, "usage_dead_letters"),
    deadLetters: [...deadLetters.values()],
    health,
  };
}

/** Every page of a cursor-paged admin listing. */
async function allPages(admin, path) {
  const rows = [];
  let cursor = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const { json } = await adminCall(admin, "GET", `${path}${sep}limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    rows.push(...json.data);
    cursor = json.next_cursor;
  } while (cursor);
  return rows;
}

/** The ledger as the admin API lists it and as D1 holds it, the CSV export, the audit log. */
export async function readOutputs({ gw, admin }) {
  const listed = await allPages(admin, "/admin/usage/events");
  await allPages(admin, "/admin/audit");
  const csv = (await adminCall(admin, "GET", "/admin/usage?group_by=key,model&format=csv")).text;
  const direct = (await gw.db.prepare("SELECT * FROM usage_events").all()).results;
  const auditRows = (await gw.db.prepare("SELECT * FROM audit_log").all()).results;
  // The hourly roll-up (migrations 0006), where there is one: kept by triggers, it must equal the rows by outcome.
  let rollup = null;
  try {
    rollup = (
      await gw.db
        .prepare(
          "SELECT outcome, SUM(requests) AS requests, SUM(prompt_tokens) AS prompt_tokens, SUM(completion_tokens) AS completion_tokens FROM usage_hourly GROUP BY outcome",
        )
        .all()
    ).results;
  } catch {
    // no roll-up table in this schema
  }
  return { listed, direct, csv, auditRows, rollup };
}
