// Bundles the workers under test with esbuild, the way wrangler would for workerd.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const PLUMBING_VARIANTS = ["bare", "tap", "noop-tap", "tee", "transform", "tee-scan", "pull-scan", "pump"];

/** Replaces src/sse/usage-tap.ts's `./sse-scanner` import with the do-nothing scanner. */
const noopScanner = {
  name: "noop-sse-scanner",
  setup(build) {
    build.onResolve({ filter: /^\.\/sse-scanner$/ }, (args) => {
      if (!args.importer.endsWith(path.join("src", "sse", "usage-tap.ts"))) return undefined;
      return { path: path.join(ROOT, "bench/workers/noop-sse-scanner.ts") };
    });
  },
};

/**
 * Replaces src/metering/meter.ts's `./producer` import with bench/workers/producer-no-started.ts,
 * whose noteStarted does nothing. `applied()` says whether it found the import: a refactor that
 * moves it must fail the build, not measure the gateway against itself.
 */
function noStartedNote() {
  let aliased = 0;
  const plugin = {
    name: "no-started-note",
    setup(build) {
      build.onResolve({ filter: /^\.\/producer$/ }, (args) => {
        if (!args.importer.endsWith(path.join("src", "metering", "meter.ts"))) return undefined;
        aliased++;
        return { path: path.join(ROOT, "bench/workers/producer-no-started.ts") };
      });
    },
  };
  return { plugin, applied: () => aliased > 0 };
}

/**
 * wrangler.toml's `[[rules]] type = "Text"` (the dashboard's CSS and JS, served by the Worker):
 * the same files imported as strings, as wrangler bundles them.
 */
const TEXT_MODULES = /(\.min\.js|\.css|[\\/]static[\\/][^\\/]+\.js)$/;
const textModules = {
  name: "wrangler-text-rules",
  setup(build) {
    build.onLoad({ filter: TEXT_MODULES }, async (args) => ({
      contents: await readFile(args.path, "utf8"),
      loader: "text",
    }));
  },
};

async function bundle(entry, { define = {}, plugins = [] } = {}) {
  const result = await esbuild.build({
    entryPoints: [path.join(ROOT, entry)],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    external: ["cloudflare:*", "node:*"],
    define,
    plugins: [textModules, ...plugins],
    logLevel: "error",
  });
  return result.outputFiles[0].text;
}

/** One plumbing variant (see bench/workers/plumbing.ts). */
export function buildPlumbing(variant) {
  if (!PLUMBING_VARIANTS.includes(variant)) throw new Error(`unknown variant ${variant}`);
  return bundle("bench/workers/plumbing.ts", {
    define: { VARIANT: JSON.stringify(variant) },
    plugins: variant === "noop-tap" ? [noopScanner] : [],
  });
}

/** The gateway as built: src/index.ts. */
export function buildGateway() {
  return bundle("src/index.ts");
}

/** The gateway with a usage queue that drops records (bench/workers/gateway-no-ledger.ts). */
export function buildGatewayNoLedger() {
  return bundle("bench/workers/gateway-no-ledger.ts");
}

/** The gateway as built, but the started note is never sent (bench/workers/producer-no-started.ts). */
export async function buildGatewayNoStarted() {
  const alias = noStartedNote();
  const script = await bundle("src/index.ts", { plugins: [alias.plugin] });
  if (!alias.applied()) throw new Error("gw-no-started: src/metering/meter.ts no longer imports ./producer; update bench/lib/build.mjs");
  return script;
}

/** The gateway behind bindings that fail at seeded rates, for `npm run soak` (bench/soak/faulty-worker.ts). */
export function buildFaultyGateway() {
  return bundle("bench/soak/faulty-worker.ts");
}

/** The worker that calls one team's TeamLimits object over RPC, for `npm run bench:limits` (bench/workers/limits-driver.ts). */
export function buildLimitsDriver() {
  return bundle("bench/workers/limits-driver.ts");
}
