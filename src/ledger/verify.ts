import { FIGURE_COLUMNS, type LedgerExportRow, openWritesOf } from "../db/exports";
import type { Env } from "../env";
import { nextHour } from "./hours";
import { type ExportManifest, type ExportPart, parseManifest } from "./manifest";
import { renderHourParts, sha256Hex } from "./ndjson-parts";

/**
 * Rows written this recently are not verified yet: a write computes recorded_at before its
 * transaction commits, so a verification must not vouch for recorded_at values that a write
 * still in flight could carry (a D1 statement runs for 30 s at most).
 */
export const VERIFY_SETTLE_MS = 10 * 60 * 1000;

/**
 * Why an hour is not pruned. `rows_changed`: D1 no longer matches the export (the hour is
 * re-exported); `damaged`: an object in R2 is missing or differs from the manifest.
 */
export type Refusal = "started_request" | "dead_letter" | "recent_rows" | "rows_changed" | "damaged";

export type Verdict = { ok: true; verifiedParts: number; verifiedThrough: number } | { ok: false; reason: Refusal; detail: string };

const refuse = (reason: Refusal, detail: string): Verdict => ({ ok: false, reason, detail });

async function objectBytes(bucket: R2Bucket, key: string): Promise<Uint8Array | null> {
  const object = await bucket.get(key);
  return object ? new Uint8Array(await object.arrayBuffer()) : null;
}

async function gunzipSha256(bytes: Uint8Array): Promise<string | null> {
  try {
    const plain = await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer();
    return await sha256Hex(plain);
  } catch {
    return null;
  }
}

/** The manifest in R2, byte for byte the one D1 recorded. */
async function storedManifest(env: Env, state: LedgerExportRow): Promise<ExportManifest | string> {
  if (state.manifest_key === null || state.manifest_sha256 === null) return "no manifest recorded";
  const bytes = await objectBytes(env.LEDGER_BUCKET, state.manifest_key);
  if (!bytes) return `${state.manifest_key} is missing`;
  if ((await sha256Hex(bytes)) !== state.manifest_sha256) return `${state.manifest_key} differs from the manifest recorded in D1`;
  try {
    return parseManifest(new TextDecoder().decode(bytes));
  } catch (err) {
    return `${state.manifest_key} does not parse: ${String(err)}`;
  }
}

/** Every part is in R2 with its recorded SHA-256; parts not verified before also decompress to their NDJSON's SHA-256. */
async function checkParts(bucket: R2Bucket, parts: ExportPart[], verifiedParts: number): Promise<string | null> {
  for (const [index, part] of parts.entries()) {
    const bytes = await objectBytes(bucket, part.key);
    if (!bytes) return `${part.key} is missing`;
    if ((await sha256Hex(bytes)) !== part.sha256) return `${part.key} differs from its SHA-256 in the manifest`;
    if (index >= verifiedParts && (await gunzipSha256(bytes)) !== part.ndjson_sha256) {
      return `${part.key} does not decompress to the NDJSON the manifest names`;
    }
  }
  return null;
}

/** The manifest's unverified parts against the hour's rows in D1, rendered again: same split, same figures, same bytes. */
async function checkRows(
  env: Env,
  state: LedgerExportRow,
  tail: ExportPart[],
): Promise<{ mismatch: string | null; through: number | null }> {
  let mismatch: string | null = null;
  let at = 0;
  const rendered = await renderHourParts(
    env.DB,
    state.hour,
    { recordedAfter: state.verified_parts > 0 ? state.verified_through : null, firstIndex: 0, compress: false },
    async function compare(part) {
      const expected = tail[at++];
      if (mismatch !== null) return;
      if (!expected) mismatch = "D1 has rows the export does not";
      else if (FIGURE_COLUMNS.some((c) => expected[c] !== part[c])) mismatch = `${expected.key}: row count or sums differ from D1`;
      else if (expected.ndjson_sha256 !== part.ndjson_sha256) mismatch = `${expected.key}: rows differ from D1`;
    },
  );
  if (mismatch === null && rendered.parts !== tail.length) mismatch = "the export has rows D1 does not";
  return { mismatch, through: rendered.recordedThrough };
}

/**
 * Checks, just before pruning, that an hour's export holds exactly the hour's rows in D1:
 * nothing can still write into the hour, the manifest in R2 is the one recorded, every
 * part is in R2 with its SHA-256, and the rows in D1 not verified before render to the
 * same parts (row count, token and cost sums, and the bytes' SHA-256).
 */
export async function verifyExport(env: Env, state: LedgerExportRow, now: number): Promise<Verdict> {
  const open = await openWritesOf(env.DB, { from: state.hour, to: nextHour(state.hour) });
  if (open) return refuse(open, `a ${open.replace("_", " ")} of the hour is still open`);

  const manifest = await storedManifest(env, state);
  if (typeof manifest === "string") return refuse("damaged", manifest);
  if (manifest.parts.length !== state.parts || manifest.rows !== state.rows)
    return refuse("damaged", "the manifest in R2 is not the recorded one");
  const damaged = await checkParts(env.LEDGER_BUCKET, manifest.parts, state.verified_parts);
  if (damaged) return refuse("damaged", damaged);

  const { mismatch, through } = await checkRows(env, state, manifest.parts.slice(state.verified_parts));
  if (mismatch) return refuse("rows_changed", mismatch);
  if (through !== null && through > now - VERIFY_SETTLE_MS)
    return refuse("recent_rows", "rows of the hour were recorded in the last 10 minutes");
  return { ok: true, verifiedParts: manifest.parts.length, verifiedThrough: Math.max(through ?? 0, state.verified_through ?? 0) };
}
