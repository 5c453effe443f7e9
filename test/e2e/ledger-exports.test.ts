/**
 * Issue 14's exports as an operator meets them: the Cron Trigger of a real `wrangler dev`
 * (/__scheduled, --test-scheduled) exports a closed hour of the ledger to its local R2,
 * `npm run admin -- exports list` shows it, and the objects copied out with
 * `wrangler r2 object get --local` (the README's recipe for DuckDB) gunzip to the rows.
 *
 * Rows for an hour long closed cannot come through the gateway (it stamps them now), so
 * they are written into the local D1 before the gateway starts. This file runs its own
 * gateway (helpers/gateway-process.mjs) on its own state.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "./helpers/cli";
import { cleanUpGateways, type GatewayProcess, type GatewayState, prepareGatewayState, startGateway } from "./helpers/gateway-process.mjs";
import { copyOutObjects, fileSha256, gzipLines, seedLedgerRows } from "./helpers/ledger-files.mjs";

const ADMIN_TOKEN = `e2e-exports-admin-${crypto.randomUUID()}`;
const HOUR_MS = 3_600_000;
/** Five hours back: closed (ended more than INTERRUPTED_AFTER_SECONDS + 30 minutes ago). */
const HOUR = new Date(Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 5 * HOUR_MS).toISOString().slice(0, 13);

const rows = Array.from({ length: 3 }, (_, i) => ({
  request_id: `e2e-export-${i}-${crypto.randomUUID()}`,
  team_id: "team_e2e_exports",
  key_id: "key_e2e_exports",
  endpoint: "/v1/chat/completions",
  model: i === 2 ? null : "llama-3.3-70b",
  stream: i % 2,
  status: 200,
  outcome: "completed",
  finish_reason: "stop",
  prompt_tokens: 10 + i,
  completion_tokens: 2,
  total_tokens: 12 + i,
  cached_tokens: 0,
  reasoning_tokens: 0,
  usage_source: "upstream",
  started_at: `${HOUR}:0${i}:00.000Z`,
  ttfb_ms: 100,
  duration_ms: 900,
  cost_micro_usd: i === 2 ? null : 7,
  price_id: i === 2 ? null : "price_e2e",
  recorded_at: Date.now() - 4 * HOUR_MS,
}));

let state: GatewayState;
let gateway: GatewayProcess;
const asOperator = () => ({ TGW_URL: gateway.url, TGW_ADMIN_TOKEN: ADMIN_TOKEN });

beforeAll(async () => {
  state = await prepareGatewayState();
  await seedLedgerRows(state, rows);
  gateway = await startGateway(state, { ADMIN_TOKEN });
}, 90_000);

afterAll(async () => {
  await cleanUpGateways();
});

describe("ledger exports through wrangler dev", () => {
  it("exports a closed hour on the cron, lists it in the CLI, and the copied-out objects gunzip to its rows", async () => {
    const scheduled = await fetch(`${gateway.url}/__scheduled?cron=*/5+*+*+*+*`);
    expect(scheduled.status).toBe(200);
    await scheduled.text();

    const list = await cli(["exports", "list"], asOperator());
    expect(list.code, list.stderr).toBe(0);
    const line = list.stdout.split("\n").find((l) => l.startsWith(HOUR));
    expect(line, list.stdout).toMatch(new RegExp(`^${HOUR}\\s+exported\\s+3\\s+39\\s+0\\.000014\\s+1\\s+0\\s`));

    const objects = await cli(["exports", "list", "--objects"], asOperator());
    expect(objects.code, objects.stderr).toBe(0);
    const date = HOUR.slice(0, 10);
    const hour = HOUR.slice(11);
    const keys = objects.stdout.trim().split("\n");
    expect(keys).toEqual([`usage/v1/date=${date}/hour=${hour}/manifest.json`, `usage/v1/date=${date}/hour=${hour}/part-00000.ndjson.gz`]);

    const listed = JSON.parse((await cli(["exports", "list", "--json"], asOperator())).stdout) as {
      data: { hour: string; manifest: { parts: { sha256: string }[] } }[];
    };
    const [, partPath] = await copyOutObjects(state, keys, `${state.app}/../exports-out`);
    expect(await fileSha256(partPath as string)).toBe(listed.data.find((e) => e.hour === HOUR)?.manifest.parts[0]?.sha256);
    const records = (await gzipLines(partPath as string)).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toEqual(rows.map((row) => ({ ...row, stream: row.stream === 1 })));
  }, 60_000);
});
