/**
 * Polls `url` until it answers 200 (true), or the child process exits, `stopped()`
 * turns true or `timeoutMs` passes (false).
 * @param {string} url
 * @param {import("node:child_process").ChildProcess} child
 * @param {{ timeoutMs: number, stopped?: () => boolean, intervalMs?: number }} options
 */
export async function waitForHealth(url, child, { timeoutMs, stopped = () => false, intervalMs = 300 }) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && child.exitCode === null && !stopped()) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return false;
}
