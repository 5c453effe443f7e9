// What the runtime logged during a soak: workerd's lines (the gateway's own, through
// handleStructuredLogs) and Miniflare's, counted, and each passed to the secret scan
// once the secrets exist (the keys are minted through the gateway, so lines come first).

const ENTERED = /^\{"message":"soak: request entered","i":(\d+)\}$/;

export function logSink() {
  const logs = { lines: 0, byLevel: {}, fallbackWrites: 0, notPersisted: 0, errors: [], miniflareLines: 0 };
  /** Plan indexes of the requests that reached the Worker (faulty-worker.ts logs each). */
  const entered = new Set();
  let scan = null;
  let pending = [];
  const scanLine = (source, message) => (scan ? scan.scan(source, message, source) : pending.push([source, message]));
  return {
    logs,
    entered,
    onLog(log) {
      const enteredAt = ENTERED.exec(log.message);
      if (enteredAt) entered.add(Number(enteredAt[1]));
      logs.lines++;
      logs.byLevel[log.level] = (logs.byLevel[log.level] ?? 0) + 1;
      if (log.message.includes("written to D1 directly")) logs.fallbackWrites++;
      if (log.message.includes("not persisted")) logs.notPersisted++;
      if (log.level === "error" && !log.message.includes("soak: injected") && logs.errors.length < 10)
        logs.errors.push(log.message.slice(0, 500));
      scanLine("workerd log lines", log.message);
    },
    onMiniflareLog(_level, message) {
      logs.miniflareLines++;
      scanLine("Miniflare log lines", message);
    },
    /** From now on every line goes straight to `secretScan`; the lines held so far go first. */
    attach(secretScan) {
      scan = secretScan;
      for (const [source, message] of pending) scan.scan(source, message, source);
      pending = [];
    },
  };
}
