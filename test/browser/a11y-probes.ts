import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";

/**
 * What the accessibility tests measure inside the page. Each probe runs in Chromium (the root
 * tsconfig has no DOM lib: the code runs in workerd, so page-side values are untyped there).
 */

/** WCAG 2.0, 2.1 and 2.2, levels A and AA: axe-core's tags for them. */
const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

export interface AxeViolation {
  rule: string;
  impact: string;
  help: string;
  nodes: string[];
}

let axeSource: string | undefined;

/**
 * axe-core's WCAG 2 A/AA violations on the page as it stands, every impact. axe is injected as an
 * inline script, which the dashboard's CSP refuses: only a context made with `bypassCSP: true`
 * can run this (see axeContext in dashboard-a11y.test.ts).
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= await readFile(join(process.cwd(), "node_modules", "axe-core", "axe.min.js"), "utf8");
  if (!(await page.evaluate("typeof window.axe === 'object'"))) await page.addScriptTag({ content: axeSource });
  const { checked, violations } = await page.evaluate<{ checked: number; violations: AxeViolation[] }>(
    `axe.run(document, { runOnly: { type: "tag", values: ${JSON.stringify(WCAG_TAGS)} }, resultTypes: ["violations"] })
      .then((results) => ({
        checked: results.passes.length + results.violations.length + results.incomplete.length,
        violations: results.violations.map((v) => ({
          rule: v.id,
          impact: v.impact ?? "none",
          help: v.help,
          nodes: v.nodes.map((n) => n.target.join(" ") + ": " + (n.failureSummary ?? "")),
        })),
      }))`,
  );
  // No rule applied at all would mean the tags matched nothing: a silent pass.
  if (checked === 0) throw new Error(`axe-core applied no rule to ${page.url()}`);
  return violations;
}

/** Opens every <details> (the charts' tables), so that what they hold is rendered and measured too. */
export async function openDisclosures(page: Page): Promise<number> {
  return page.$eval("html", (root) => {
    const all = [...root.querySelectorAll("details")];
    for (const details of all) details.open = true;
    return all.length;
  });
}

export interface Focused {
  tag: string;
  id: string;
  /** Its name and type attributes, for messages. */
  name: string;
  text: string;
  href: string;
  /** What the element's focus looks like: `:focus-visible` and its computed outline. */
  focusVisible: boolean;
  outline: string;
  outlineWidth: number;
  /** Its box is inside the viewport, at least partly, with a size (not a skip link still off-screen). */
  onScreen: boolean;
}

/** The focused element and how its focus shows. */
export function focusedElement(page: Page): Promise<Focused> {
  return page.$eval("html", (root) => {
    const doc = root.ownerDocument;
    const el = doc.activeElement ?? doc.body;
    const style = doc.defaultView.getComputedStyle(el);
    const box = el.getBoundingClientRect();
    const view = doc.defaultView;
    return {
      tag: el.tagName.toLowerCase(),
      id: el.id,
      name: `${el.getAttribute("name") ?? ""}${el.getAttribute("type") ? ` type=${el.getAttribute("type")}` : ""}`,
      text: (el.textContent ?? "").trim().replace(/\s+/g, " ").slice(0, 80),
      href: el.getAttribute("href") ?? "",
      focusVisible: el.matches(":focus-visible"),
      outline: `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`,
      outlineWidth: style.outlineStyle === "none" ? 0 : Number.parseFloat(style.outlineWidth),
      onScreen:
        box.width > 0 && box.height > 0 && box.right > 0 && box.bottom > 0 && box.left < view.innerWidth && box.top < view.innerHeight,
    };
  });
}

/**
 * Records what each uPlot chart is given (its series' labels and data) on the chart's element,
 * by wrapping the global `uPlot` the moment uplot.js defines it. An init script runs through the
 * DevTools protocol, which the page's CSP does not govern: this context keeps its CSP.
 */
export async function recordCharts(context: BrowserContext): Promise<void> {
  await context.addInitScript(`(() => {
    let recording;
    Object.defineProperty(window, "uPlot", {
      configurable: true,
      get() { return recording; },
      set(real) {
        recording = function uPlotRecorder(opts, data, target) {
          const chart = new real(opts, data, target);
          if (target instanceof Element) {
            target.__drawn = { labels: opts.series.map((s) => s.label ?? ""), data: data.map((column) => Array.from(column)) };
          }
          return chart;
        };
        Object.setPrototypeOf(recording, real);
        recording.prototype = real.prototype;
      },
    });
  })()`);
}

export interface ChartAndTable {
  figure: string;
  /** What uPlot was given: labels[0] and data[0] are the x axis (seconds since the epoch). */
  drawn: { labels: string[]; data: number[][] } | null;
  /** The figure's table (not uPlot's legend): its column headers, and each body row's header cell and cells. */
  table: { headers: string[]; rows: { head: string; cells: string[] }[] } | null;
}

/** Every figure.chart of the page: what its chart drew and what its table says. */
export function chartsAndTables(page: Page): Promise<ChartAndTable[]> {
  return page.$eval("html", (root) =>
    [...root.querySelectorAll("figure.chart")].map((figure, i) => {
      const area = figure.querySelector(".chart-area");
      // uPlot's legend is a table inside the chart's area: the text alternative is the other one.
      const table = [...figure.querySelectorAll("table")].find((t) => !area?.contains(t));
      const text = (el: { textContent: string | null }) => (el.textContent ?? "").trim();
      return {
        figure: figure.querySelector("figcaption")?.textContent?.trim() || `figure ${i + 1}`,
        drawn: area?.__drawn ?? null,
        table: table
          ? {
              headers: [...table.querySelectorAll("thead th")].map(text),
              rows: [...table.querySelectorAll("tbody tr")].map((tr) => ({
                head: text(tr.querySelector("th") ?? { textContent: "" }),
                cells: [...tr.querySelectorAll("td")].map(text),
              })),
            }
          : null,
      };
    }),
  );
}

export interface LayoutProblems {
  /** How far the page scrolls sideways (should be 0 or less). */
  pageOverflow: number;
  /** Charts whose drawing sticks out of their figure. */
  chartsOutside: string[];
  /** Tables wider than the box that clips them, where that box does not scroll; or off the viewport. */
  tablesClipped: string[];
  /** Table cells set in type smaller than 12px. */
  tinyText: string[];
}

/** What does not fit the viewport: measured after the charts drew (and with every disclosure open). */
export function layoutProblems(page: Page): Promise<LayoutProblems> {
  return page.$eval("html", (root) => {
    const doc = root.ownerDocument;
    const view = doc.defaultView;
    const width = view.innerWidth;
    const css = (el: unknown) => view.getComputedStyle(el);
    const name = (el: { id: string; tagName: string }, i: number) => el.id || `${el.tagName.toLowerCase()} #${i + 1}`;
    const chartsOutside: string[] = [];
    [...root.querySelectorAll("figure.chart")].forEach((figure, i) => {
      const frame = figure.getBoundingClientRect();
      for (const drawing of figure.querySelectorAll(".chart-area canvas, .chart-area .uplot")) {
        const box = drawing.getBoundingClientRect();
        if (box.left < frame.left - 0.5 || box.right > frame.right + 0.5)
          chartsOutside.push(`${name(figure, i)}: ${box.width}px in ${frame.width}px`);
      }
      if (frame.right > width + 0.5) chartsOutside.push(`${name(figure, i)}: ends at ${frame.right}px of ${width}px`);
    });
    const tablesClipped: string[] = [];
    const tinyText: string[] = [];
    [...root.querySelectorAll("table")].forEach((table, i) => {
      const rows = [...table.querySelectorAll("tr")].map((tr) => tr.getBoundingClientRect()).filter((r) => r.width > 0);
      if (rows.length === 0) return; // not rendered (a closed disclosure)
      const contentWidth = Math.max(...rows.map((r) => r.width));
      let clip = table;
      while (clip && clip !== root && css(clip).overflowX === "visible") clip = clip.parentElement;
      const scrolls = clip !== root && ["auto", "scroll"].includes(css(clip).overflowX);
      const box = clip === root ? { left: 0, right: width, width } : clip.getBoundingClientRect();
      const fitsBox = contentWidth <= clip.clientWidth + 0.5 || clip === root;
      if (!fitsBox && !scrolls) tablesClipped.push(`${name(table, i)}: ${contentWidth}px clipped to ${clip.clientWidth}px`);
      const fitsView = clip === root ? Math.max(...rows.map((r) => r.right)) <= width + 0.5 : box.left >= -0.5 && box.right <= width + 0.5;
      if (!fitsView) tablesClipped.push(`${name(table, i)}: its box runs past the ${width}px viewport`);
      const small = [...table.querySelectorAll("th, td")].find((cell) => Number.parseFloat(css(cell).fontSize) < 12);
      if (small) tinyText.push(`${name(table, i)}: ${css(small).fontSize}`);
    });
    return { pageOverflow: root.scrollWidth - width, chartsOutside, tablesClipped, tinyText };
  });
}
