import { Hono } from "hono";
import uplotJs from "uplot/dist/uPlot.iife.min.js";
import uplotCss from "uplot/dist/uPlot.min.css";
import dashboardCss from "./static/dashboard.css";
import dashboardJs from "./static/dashboard.js";

/**
 * The dashboard's static files, bundled into the Worker as text (wrangler.toml [[rules]]):
 * served from the gateway itself, so the dashboard works offline and the CSP can say 'self'.
 * Text modules rather than [assets]: the vitest plugin's exports.default.fetch skips the asset
 * router, and these four files are small (uPlot is ~50 KB minified).
 */
const FILES: Record<string, { body: string; type: string }> = {
  "uplot.js": { body: uplotJs, type: "text/javascript; charset=utf-8" },
  "uplot.css": { body: uplotCss, type: "text/css; charset=utf-8" },
  "dashboard.js": { body: dashboardJs, type: "text/javascript; charset=utf-8" },
  "dashboard.css": { body: dashboardCss, type: "text/css; charset=utf-8" },
};

export const assets = new Hono();

assets.get("/:file", function serveAsset(c) {
  const file = Object.hasOwn(FILES, c.req.param("file")) ? FILES[c.req.param("file")] : undefined;
  if (file === undefined) return c.text("Not found", 404);
  return c.body(file.body, 200, { "content-type": file.type });
});
