// Counting secrets in what a run produced. A secret is looked for by its random part
// (the key without its fixed prefix), so that a copy with an escaped or altered prefix
// (`tgw\u005f…`, `Bearer …`) is found as well as a verbatim one.

/** `{ name, kind, value }` → the needle that is searched for. */
export function needle(secret) {
  const value = secret.value;
  if (secret.kind === "gateway key" && value.startsWith("tgw_")) return value.slice(4);
  const dash = value.lastIndexOf("-");
  return dash >= 0 && value.length - dash > 16 ? value.slice(dash + 1) : value;
}

function occurrences(text, what) {
  let n = 0;
  for (let at = text.indexOf(what); at !== -1; at = text.indexOf(what, at + what.length)) n++;
  return n;
}

/**
 * Tallies occurrences per source and per secret. `scan(source, text, where)` adds one
 * scanned item; `expect(source, where, secretName, count)` marks an item where a secret
 * must appear exactly `count` times (the response that minted a key).
 */
export class SecretScan {
  constructor(secrets) {
    this.secrets = secrets.map((s) => ({ ...s, needle: needle(s) }));
    this.sources = new Map();
    this.expected = new Map();
  }

  expect(where, secretName, count) {
    this.expected.set(`${where}\u0000${secretName}`, count);
  }

  source(name) {
    let entry = this.sources.get(name);
    if (!entry) {
      entry = { name, items: 0, bytes: 0, found: Object.fromEntries(this.secrets.map((s) => [s.name, 0])), expectedSeen: 0, samples: [] };
      this.sources.set(name, entry);
    }
    return entry;
  }

  scan(sourceName, text, where = "") {
    const entry = this.source(sourceName);
    entry.items++;
    entry.bytes += text.length;
    for (const secret of this.secrets) {
      const n = occurrences(text, secret.needle);
      const allowed = this.expected.get(`${where}\u0000${secret.name}`);
      if (allowed !== undefined) {
        if (n !== allowed) entry.samples.push({ where, secret: secret.name, found: n, expected: allowed });
        else entry.expectedSeen++;
        continue;
      }
      if (n === 0) continue;
      entry.found[secret.name] += n;
      if (entry.samples.length < 5) {
        const at = text.indexOf(secret.needle);
        // The excerpt masks the secret itself: the report must not be a leak of its own.
        const excerpt = text.slice(Math.max(0, at - 60), at + secret.needle.length + 60).replaceAll(secret.needle, "«secret»");
        entry.samples.push({ where, secret: secret.name, found: n, excerpt });
      }
    }
  }

  /** Merges tallies made elsewhere (the load generator's process). */
  merge(sourceName, tally) {
    const entry = this.source(sourceName);
    entry.items += tally.items;
    entry.bytes += tally.bytes;
    for (const [name, n] of Object.entries(tally.found)) entry.found[name] = (entry.found[name] ?? 0) + n;
    entry.samples.push(...tally.samples.slice(0, 5));
  }

  report() {
    const sources = [...this.sources.values()];
    const leaks = sources.reduce((sum, s) => sum + Object.values(s.found).reduce((a, b) => a + b, 0), 0);
    const expectationsMissed = sources.reduce((sum, s) => sum + s.samples.filter((x) => x.expected !== undefined).length, 0);
    const expectedSeen = sources.reduce((sum, s) => sum + s.expectedSeen, 0);
    return { secrets: this.secrets.map(({ name, kind }) => ({ name, kind })), leaks, expectationsMissed, expectedSeen, sources };
  }
}

/** The load generator's own tally (no class across the process boundary). */
export function tallyFor(secrets) {
  const needles = secrets.map((s) => ({ name: s.name, needle: needle(s) }));
  const tally = { items: 0, bytes: 0, found: Object.fromEntries(needles.map((s) => [s.name, 0])), samples: [] };
  return {
    tally,
    scan(text, where) {
      tally.items++;
      tally.bytes += text.length;
      for (const { name, needle: what } of needles) {
        const n = occurrences(text, what);
        if (n === 0) continue;
        tally.found[name] += n;
        if (tally.samples.length < 5) tally.samples.push({ where, secret: name, found: n });
      }
    },
  };
}
