/**
 * The admin CLI's export command: `exports list` (GET /admin/exports), the hourly exports of
 * the raw ledger to R2 with their manifests, newest hour first. The argument helpers come
 * from admin-commands.mjs, passed in, so that the two files do not import each other.
 */
import { UsageError } from "./admin-client.mjs";
import { count, microUsd, shortTime, table } from "./admin-format.mjs";

export const EXPORT_OPTIONS = { objects: { type: "boolean" } };

export const EXPORTS_HELP = `Exports (the raw ledger in R2, one gzip NDJSON export per UTC hour)
  exports list [--limit N] [--objects]
                                  newest hours first (default --limit 48): status, rows, sums,
                                  parts; --json has each manifest (keys and SHA-256s);
                                  --objects prints only the R2 keys, one a line (to copy them out)
`;

/** Every object of these exports, manifest first, one key a line. */
function objectKeys(exports) {
  const keys = exports.flatMap((e) => (e.manifest ? [e.manifest_key, ...e.manifest.parts.map((part) => part.key)] : []));
  return keys.map((key) => `${key}\n`).join("");
}

/** @param {{ noPositionals: Function, positiveInt: Function, json: Function }} helpers */
export function exportCommands({ noPositionals, positiveInt, json }) {
  return {
    "exports list": {
      options: ["limit", "objects"],
      async run({ values, positionals, api, out, note }) {
        noPositionals(positionals, "exports list");
        if (values.json && values.objects) throw new UsageError("give --json or --objects, not both");
        const limit = values.limit === undefined ? 48 : positiveInt(values.limit, "--limit");
        const all = await api.collect("/exports", {}, limit);
        if (values.json) return out(json(all));
        if (values.objects) return out(objectKeys(all.data));
        if (all.data.length === 0)
          return out("No hour exported yet: the cron exports each UTC hour once it has settled (about 1.5 h after its end).\n");
        out(
          table(
            [
              { header: "HOUR (UTC)", value: (e) => e.hour },
              { header: "STATUS", value: (e) => e.status },
              { header: "ROWS", value: (e) => count(e.manifest?.rows ?? null), right: true },
              { header: "TOTAL TOKENS", value: (e) => count(e.manifest?.total_tokens ?? null), right: true },
              { header: "COST USD", value: (e) => microUsd(e.manifest?.cost_micro_usd ?? null), right: true },
              { header: "PARTS", value: (e) => count(e.manifest?.parts.length ?? null), right: true },
              { header: "PRUNED", value: (e) => count(e.pruned_rows), right: true },
              { header: "EXPORTED", value: (e) => shortTime(e.exported_at) ?? "-" },
              { header: "MANIFEST", value: (e) => e.manifest_key ?? "-" },
            ],
            all.data,
          ),
        );
        if (all.next_cursor !== null) note(`(newest ${all.data.length} hours; older ones exist: raise --limit)`);
      },
    },
  };
}
