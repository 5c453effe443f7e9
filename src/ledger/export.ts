import { claimExportStatement, exportState, finishExportStatement, hoursToExport, type LedgerExportRow } from "../db/exports";
import type { Env } from "../env";
import { hourOf, hourPrefix, manifestKey, partKey } from "./hours";
import { exportDelayMs } from "./ledger-config";
import { buildManifest, EXPORT_SCHEMA_VERSION, type ExportPart, manifestText, parseManifest, pickFigures } from "./manifest";
import { type PartLimits, type RenderedPart, renderHourParts, sha256Hex } from "./ndjson-parts";

/** Bounded work per cron run: at most this many hours, and no new hour once this many rows went out. */
export const MAX_EXPORT_HOURS_PER_RUN = 3;
export const MAX_EXPORT_ROWS_PER_RUN = 500_000;

export interface ExportOptions {
  limits?: PartLimits;
  maxHours?: number;
}

export interface HourExport {
  hour: string;
  rows: number;
  parts: number;
  /** Objects put to R2 (parts and manifest): 0 when the bytes were already there. */
  objectsWritten: number;
}

const encoder = new TextEncoder();

/**
 * Puts the object unless R2 already holds these bytes (same SHA-256 and size): re-exporting
 * unchanged rows writes nothing. R2 checks the upload against `sha256`.
 */
async function putUnlessSame(bucket: R2Bucket, key: string, body: Uint8Array, sha256: string, contentType: string): Promise<boolean> {
  const head = await bucket.head(key);
  if (head && head.size === body.byteLength && head.customMetadata?.sha256 === sha256) return false;
  await bucket.put(key, body, {
    sha256,
    httpMetadata: { contentType },
    customMetadata: { sha256, schema_version: String(EXPORT_SCHEMA_VERSION) },
  });
  return true;
}

/**
 * Parts of the hour the manifest does not list (a re-export that came out shorter, an export
 * that died before its manifest) go, once the manifest no longer names them: a reader globbing
 * part-*.ndjson.gz must not count a row twice.
 */
async function deleteUnlistedParts(bucket: R2Bucket, hour: string, listed: Set<string>): Promise<void> {
  const stray: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix: `${hourPrefix(hour)}/part-`, cursor });
    stray.push(...page.objects.map((object) => object.key).filter((key) => !listed.has(key)));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor !== undefined);
  if (stray.length > 0) await bucket.delete(stray);
}

/** The parts a re-export keeps: those already verified (their rows may be pruned). */
function verifiedParts(state: LedgerExportRow | null): { parts: ExportPart[]; recordedAfter: number | null } {
  if (!state || state.verified_parts === 0) return { parts: [], recordedAfter: null };
  if (state.manifest === null) throw new Error(`export of ${state.hour} has verified parts and no manifest`);
  return { parts: parseManifest(state.manifest).parts.slice(0, state.verified_parts), recordedAfter: state.verified_through };
}

function exportedPart(hour: string, part: RenderedPart): ExportPart {
  if (!part.gzip) throw new Error("an exported part is compressed");
  return {
    key: partKey(hour, part.index),
    ...pickFigures(part),
    bytes: part.gzip.body.byteLength,
    sha256: part.gzip.sha256,
    ndjson_bytes: part.ndjson_bytes,
    ndjson_sha256: part.ndjson_sha256,
  };
}

/**
 * Exports one hour of raw rows to R2: its parts (gzip NDJSON), then its manifest, then the
 * D1 row saying so. Parts already verified are kept as they are; the rest of the hour (all
 * of it while nothing is verified) is rendered afresh from D1 and written where it differs.
 */
export async function exportHour(env: Env, hour: string, options: ExportOptions = {}, now = Date.now()): Promise<HourExport> {
  const state = await exportState(env.DB, hour);
  const kept = verifiedParts(state);
  await claimExportStatement(env.DB, hour).run();

  const written: ExportPart[] = [];
  let objectsWritten = 0;
  const rendered = await renderHourParts(
    env.DB,
    hour,
    { recordedAfter: kept.recordedAfter, firstIndex: kept.parts.length, compress: true, limits: options.limits },
    async function writePart(part) {
      const entry = exportedPart(hour, part);
      if (await putUnlessSame(env.LEDGER_BUCKET, entry.key, part.gzip?.body ?? new Uint8Array(), entry.sha256, "application/gzip")) {
        objectsWritten++;
      }
      written.push(entry);
    },
  );

  const parts = [...kept.parts, ...written];
  const through = [kept.recordedAfter, rendered.recordedThrough].reduce<number | null>(
    (max, value) => (value === null ? max : max === null ? value : Math.max(max, value)),
    null,
  );
  const manifest = buildManifest(hour, parts, through);
  const text = manifestText(manifest);
  const bytes = encoder.encode(text);
  const manifestSha256 = await sha256Hex(bytes);
  if (await putUnlessSame(env.LEDGER_BUCKET, manifestKey(hour), bytes, manifestSha256, "application/json")) objectsWritten++;

  await deleteUnlistedParts(env.LEDGER_BUCKET, hour, new Set(parts.map((part) => part.key)));

  await finishExportStatement(env.DB, {
    hour,
    schemaVersion: EXPORT_SCHEMA_VERSION,
    parts: parts.length,
    figures: pickFigures(manifest),
    manifestKey: manifestKey(hour),
    manifestSha256,
    manifest: text,
    recordedThrough: through,
    exportedAt: new Date(now).toISOString(),
    wroteRows: written.length > 0,
  }).run();
  return { hour, rows: manifest.rows, parts: parts.length, objectsWritten };
}

/**
 * The cron's export: every closed hour (ended INTERRUPTED_AFTER_SECONDS + EXPORT_SETTLE_SECONDS
 * ago) that has raw rows and no current export, oldest first, a few per run; the backfill
 * goes on at the next run.
 */
export async function exportClosedHours(env: Env, now = Date.now(), options: ExportOptions = {}): Promise<HourExport[]> {
  const openFrom = hourOf(now - exportDelayMs(env));
  const hours = await hoursToExport(env.DB, openFrom, options.maxHours ?? MAX_EXPORT_HOURS_PER_RUN);
  const done: HourExport[] = [];
  let rows = 0;
  for (const hour of hours) {
    if (rows >= MAX_EXPORT_ROWS_PER_RUN) break;
    const result = await exportHour(env, hour, options, now);
    rows += result.rows;
    done.push(result);
  }
  if (done.length > 0) console.log(JSON.stringify({ message: "ledger hours exported", hours: done }));
  return done;
}
