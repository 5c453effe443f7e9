// The soak's kill: SIGKILL of the runtime with requests in flight, then a restart on the
// same persisted D1 (see bench/README.md, Soak, for why the queue is emptied first).
import { setTimeout as sleep } from "node:timers/promises";

/** Polls `check` every 100 ms until it holds (true) or `timeoutMs` passes (false). */
export async function waitFor(check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/**
 * Miniflare's local queue broker is in memory (production Queues keep a message once
 * send() resolved), so a kill would lose what it holds. So: new requests pause, every
 * queue send fails from now on (notes and records take the producer's direct D1 write,
 * which is durable), the requests in flight finish and the queue drains; then the kill
 * cohort starts (slow streams, answers not begun), and once each of its started notes is
 * in D1, SIGKILL with the cohort in flight, a restart on the same D1, normal faults again.
 * Returns the new runtime and what the kill looked like.
 */
export async function killAndRestart({ loader, gw, start, beforeKill, graceMs }) {
  const status = () => loader.run({ type: "status" });
  const openNotes = async () => (await gw.db.prepare("SELECT COUNT(*) AS n FROM usage_started").first()).n;
  await loader.run({ type: "pause" });
  await gw.setFaults({ queueSendFailAll: true });
  const idle = await waitFor(async () => (await status()).inFlight === 0, 60_000);
  const drainMs = await gw.drainQueue(60_000);
  // Records of the last requests take three failed sends (~250 ms) before their direct write.
  const notesCleared = await waitFor(async () => (await openNotes()) === 0, 10_000);
  await loader.run({ type: "startGroup", name: "cohort" });
  // Ready when every cohort request still open has its note in D1 (nothing else is open
  // now), three polls in a row. A request can end early: a pooled connection upstream had
  // just closed (after the idle drain) fails it as upstream_unreachable.
  let readyPolls = 0;
  const cohortReady = await waitFor(async () => {
    const open = (await status()).cohortInFlight;
    readyPolls = open > 0 && (await openNotes()) >= open ? readyPolls + 1 : 0;
    return readyPolls >= 3;
  }, 15_000);
  const notesAtKill = await openNotes();
  await beforeKill();
  const { inFlight } = await loader.run({ type: "killing" });
  const at = Date.now();
  await gw.kill();
  await waitFor(async () => (await status()).inFlight === 0, 30_000);
  const next = await start();
  await loader.run({ type: "resume", origin: next.origin });
  await loader.run({ type: "startGroup", name: "long" });
  return { gw: next, kill: { at, graceMs, inFlight, notesAtKill, drainMs, idle, notesCleared, cohortReady } };
}
