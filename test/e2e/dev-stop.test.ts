/**
 * Issue 15: however `npm run dev` is stopped, nothing it started is left running or holding
 * the port. Each case starts a real `npm run dev` (helpers/dev-process.mjs), waits for
 * /healthz, stops it one way, and then checks every process that was below npm (dev.mjs,
 * wrangler's two node processes, workerd, esbuild) and every process group they were in.
 *
 * Ctrl-C (SIGINT to the terminal's whole process group) and a closed terminal (SIGHUP to
 * it) are not cases here: they reach every process at once, so they never left anything.
 */
import { afterAll, expect, it } from "vitest";
import { cleanUpDev, portIsFree, processTree, startDev, survivors } from "./helpers/dev-process.mjs";

const HEALTH_TIMEOUT_MS = 60_000;
/** dev.mjs gives wrangler 5 s to stop before SIGKILL; the launcher watch adds 0.5 s. */
const STOP_TIMEOUT_MS = 10_000;

afterAll(cleanUpDev);

async function stopsEverything(stop: (tree: ReturnType<typeof processTree>, npmPid: number) => number, signal: "SIGTERM" | "SIGHUP") {
  const dev = await startDev(HEALTH_TIMEOUT_MS);
  const tree = processTree(dev.pid);
  expect(
    tree.some((row) => row.command.includes("workerd")),
    `workerd runs under npm: ${JSON.stringify(tree)}`,
  ).toBe(true);

  process.kill(stop(tree, dev.pid), signal);

  expect(await survivors(tree, STOP_TIMEOUT_MS), `still running (log: ${dev.logFile})`).toEqual([]);
  expect(await portIsFree(dev.port), `port ${dev.port} is free`).toBe(true);
}

it("stops dev.mjs, wrangler, workerd and the mock when npm's own pid gets SIGTERM", async () => {
  await stopsEverything((_, npmPid) => npmPid, "SIGTERM");
}, 90_000);

it("stops wrangler's CLI and workerd too when dev.mjs gets SIGHUP (wrangler's wrapper passes on only INT and TERM)", async () => {
  await stopsEverything((tree) => {
    const devScript = tree.find((row) => /^(\S*\/)?node\s+scripts\/dev\.mjs$/.test(row.command));
    if (!devScript) throw new Error(`no dev.mjs under npm: ${JSON.stringify(tree)}`);
    return devScript.pid;
  }, "SIGHUP");
}, 90_000);
