/**
 * Drives one team's TeamLimits object directly over RPC, for `npm run bench:limits`:
 * `callers` concurrent lanes, each calling `reserve()` (and `settle()` after it, as the
 * gateway does, unless `settle=0`) in a loop for `ms` milliseconds. The object is held
 * by another worker (the gateway as built), so each call crosses isolates as it does
 * from a gateway isolate in production. Answers counts per second and call latencies.
 *
 * GET /drive?team=…&callers=50&ms=5000&shape=team|team+key|team+key-rpm&settle=1
 */
import type { ScopePolicy } from "../../src/limits/policy";
import type { TeamLimits } from "../../src/limits/team-limits";

interface DriverEnv {
  TEAM_LIMITS: DurableObjectNamespace<TeamLimits>;
}

/** So large that nothing is refused: the figure is the cost of a reservation that is admitted. */
const HUGE = 10 ** 15;

const SHAPES: Record<string, ScopePolicy[]> = {
  // A team budget only (the bench's gw-budget key).
  team: [{ scope: "team", budget: { limitMicroUsd: HUGE, period: "month" }, limits: null }],
  // A team budget and a budget on the key.
  "team+key": [
    { scope: "team", budget: { limitMicroUsd: HUGE, period: "month" }, limits: null },
    { scope: "key_ceiling", budget: { limitMicroUsd: HUGE, period: "month" }, limits: null },
  ],
  // A team budget and a requests-per-minute limit on the key: every admitted request stays a
  // row of the key's 60-second window, which each reservation reads.
  "team+key-rpm": [
    { scope: "team", budget: { limitMicroUsd: HUGE, period: "month" }, limits: null },
    { scope: "key_ceiling", budget: null, limits: { requestsPerMinute: 10_000_000, tokensPerMinute: null } },
  ],
};

function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * q))] ?? null;
}

async function drive(env: DriverEnv, url: URL): Promise<Response> {
  const team = url.searchParams.get("team") ?? "team_ceiling";
  const callers = Number(url.searchParams.get("callers") ?? "50");
  const durationMs = Number(url.searchParams.get("ms") ?? "5000");
  const settle = url.searchParams.get("settle") !== "0";
  const shape = SHAPES[url.searchParams.get("shape") ?? "team"];
  if (!shape || !(callers > 0) || !(durationMs > 0)) return new Response("bad parameters", { status: 400 });
  const scopes: ScopePolicy[] = shape;
  const stub = env.TEAM_LIMITS.getByName(team);
  const runId = crypto.randomUUID();
  const start = Date.now();
  const end = start + durationMs;
  const perSecond: number[] = [];
  const latencies: number[] = [];
  let admitted = 0;
  let refused = 0;
  let errors = 0;
  let firstError: string | null = null;

  async function lane(laneId: number): Promise<void> {
    for (let i = 0; Date.now() < end; i++) {
      const requestId = `${runId}-${laneId}-${i}`;
      const before = Date.now();
      try {
        const result = await stub.reserve({ requestId, nowMs: before, scopes, costMicroUsd: 6_600, tokens: 8_300 });
        latencies.push(Date.now() - before);
        if (!result.ok) {
          refused++;
          continue;
        }
        admitted++;
        const second = Math.floor((Date.now() - start) / 1000);
        perSecond[second] = (perSecond[second] ?? 0) + 1;
        if (settle) await stub.settle({ requestId, costMicroUsd: 11, tokens: 40 });
      } catch (err) {
        errors++;
        firstError ??= String(err);
        if (errors > 100) return;
      }
    }
  }

  await Promise.all(Array.from({ length: callers }, (_, laneId) => lane(laneId)));
  const wallMs = Date.now() - start;
  latencies.sort((a, b) => a - b);
  return Response.json({
    team,
    callers,
    settle,
    shape: url.searchParams.get("shape") ?? "team",
    wallMs,
    admitted,
    refused,
    errors,
    firstError,
    reservationsPerSecond: (admitted * 1000) / wallMs,
    perSecond: Array.from(perSecond, (n) => n ?? 0),
    latencyMs: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: latencies.at(-1) ?? null },
  });
}

export default {
  async fetch(request: Request, env: DriverEnv): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/drive") return drive(env, url);
    return new Response("not found", { status: 404 });
  },
} satisfies ExportedHandler<DriverEnv>;
