// Bundles the workers under test with esbuild, the way wrangler would for workerd.
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
    plugins,
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
