import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AxeViolation,
  axeViolations,
  chartsAndTables,
  type Focused,
  focusedElement,
  layoutProblems,
  openDisclosures,
  recordCharts,
} from "./a11y-probes";
import { ADMIN_TOKEN, admin, chat, type SeededDashboard, type SeededKey, shot, startSeededDashboard, stopSeededDashboard } from "./helpers";

/**
 * The dashboard for people who use a keyboard, a screen reader or a small screen (issue #16):
 * axe-core on every page at both viewports, a keyboard-only walk through sign-in, the filter and
 * a revoke, the charts' text alternatives, and what fits at 1280×800 and 390×844.
 */
const VIEWPORTS = [
  { name: "desktop", width: 1280, height: 800 },
  { name: "phone", width: 390, height: 844 },
] as const;
type Viewport = (typeof VIEWPORTS)[number];

let gateway: string;
let browser: Browser;
let teams: SeededDashboard["teams"];
let keys: SeededDashboard["keys"];
/** A key of its own for the rotated-key page, so that rotating it leaves the other tests' keys alone. */
let rotationTarget: SeededKey;

beforeAll(async () => {
  ({ gateway, browser, teams, keys } = await startSeededDashboard());
  rotationTarget = await admin<SeededKey>(gateway, "POST", `/teams/${teams.a}/keys`, { name: "rotation target" });
});

afterAll(stopSeededDashboard);

/** A page that keeps the dashboard's CSP: every test but the axe runs uses one. */
async function newPage(viewport: Viewport = VIEWPORTS[0]): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height } });
  return context.newPage();
}

/** Once dashboard.js has run, every chart holds its uPlot drawing. */
async function chartsDrawn(page: Page): Promise<void> {
  if ((await page.locator("figure.chart").count()) > 0) await page.waitForSelector("figure.chart .chart-area .uplot");
}

/**
 * Every page of the dashboard, one after another in `page`, signed out first: `visit` runs on
 * each once it has loaded and its charts have drawn. The rotate issues a new secret each time.
 */
async function everyPage(page: Page, visit: (name: string) => Promise<void>): Promise<void> {
  const go = async (name: string, path: string) => {
    await page.goto(`${gateway}${path}`);
    await chartsDrawn(page);
    await visit(name);
  };
  await go("sign-in", "/dashboard/login");
  await page.getByLabel("Admin token or operator token").fill("not-the-token");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForSelector(".error[role=alert]");
  await visit("sign-in-error");
  await page.getByLabel("Admin token or operator token").fill(ADMIN_TOKEN);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${gateway}/dashboard`);
  await go("overview", "/dashboard");
  await go("overview-team", `/dashboard?team_id=${encodeURIComponent(teams.a)}`);
  await go("team", `/dashboard/teams/${encodeURIComponent(teams.a)}`);
  await go("key", `/dashboard/keys/${encodeURIComponent(keys.a2.id)}`);
  await go("revoke-confirm", `/dashboard/keys/${encodeURIComponent(keys.a2.id)}/revoke`);
  await page.goto(`${gateway}/dashboard/keys/${encodeURIComponent(rotationTarget.id)}`);
  await page.getByRole("button", { name: /^Rotate/ }).click();
  await page.waitForSelector("#new-secret");
  await visit("rotated");
  await go("health", "/dashboard/health");
}

/**
 * Tab once; wherever focus lands, it must show: the stylesheet's ring (an outline of 2px or more;
 * Chromium's own ring is `auto 1px`), on screen. On a date field's calendar button the field
 * matches neither :focus nor :focus-visible (its focus is in its inner parts), so the ring is
 * what is checked.
 */
async function tab(page: Page): Promise<Focused> {
  await page.keyboard.press("Tab");
  const focused = await focusedElement(page);
  const where = `${focused.tag}#${focused.id}[${focused.name}] "${focused.text}" (${focused.outline}${focused.focusVisible ? ", :focus-visible" : ""})`;
  expect(focused.outlineWidth, `a focus ring on ${where}`).toBeGreaterThanOrEqual(2);
  expect(focused.onScreen, `on screen: ${where}`).toBe(true);
  return focused;
}

async function tabTo(page: Page, what: string, wanted: (focused: Focused) => boolean): Promise<Focused> {
  for (let presses = 0; presses < 80; presses++) {
    const focused = await tab(page);
    if (wanted(focused)) return focused;
  }
  throw new Error(`Tab never reached ${what}`);
}

/** Enter on the focused element, and the navigation it starts. */
async function enterAndWait(page: Page, url: RegExp | string): Promise<void> {
  await Promise.all([page.waitForURL(url), page.keyboard.press("Enter")]);
}

/** A cell's number as the chart was given it: digits and sign only, to the micro-dollar; NaN for an empty or missing cell. */
function cellNumber(text: string): number {
  const number = text.replace(/[^0-9.eE+-]/g, "");
  return number === "" ? Number.NaN : Math.round(Number(number) * 1e6) / 1e6;
}

describe("the dashboard for keyboard, screen-reader and small-screen users", () => {
  it("has no WCAG 2 A or AA violation axe-core finds, on every page at 1280×800 and at 390×844", async () => {
    const found: Record<string, AxeViolation[]> = {};
    for (const viewport of VIEWPORTS) {
      // axe-core goes in as an inline script, which the dashboard's CSP forbids (rightly): this
      // context alone bypasses the CSP, for the axe runs only. Every other test keeps it.
      const context = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height }, bypassCSP: true });
      const page = await context.newPage();
      await everyPage(page, async (name) => {
        const violations = await axeViolations(page);
        if ((await openDisclosures(page)) > 0) violations.push(...(await axeViolations(page)));
        if (violations.length > 0) found[`${viewport.name} ${name}`] = violations;
      });
      await context.close();
    }
    expect(found).toEqual({});
  });

  it("is usable by keyboard alone: the skip link, sign-in, the team filter and revoking a key after its confirmation", async () => {
    const page = await newPage();
    const pointer: string[] = [];
    // Keyboard activation fires `click` but never mousedown or pointerdown: any of those is a mouse.
    await page.context().exposeBinding("reportPointer", (_source, type: string) => void pointer.push(type));
    await page
      .context()
      .addInitScript(`for (const type of ["mousedown", "pointerdown"]) addEventListener(type, () => reportPointer(type), true);`);
    await page.goto(`${gateway}/dashboard`);
    expect(new URL(page.url()).pathname).toBe("/dashboard/login");

    const skip = await tab(page);
    expect(skip).toMatchObject({ tag: "a", href: "#main", text: "Skip to content" });
    await page.keyboard.press("Enter");
    expect((await focusedElement(page)).id).toBe("main");
    expect((await tab(page)).id).toBe("token");
    await page.keyboard.type(ADMIN_TOKEN);
    await enterAndWait(page, `${gateway}/dashboard`);

    await tabTo(page, "the team filter", (f) => f.id === "team-filter");
    for (let presses = 0; presses < 10; presses++) {
      if ((await page.$eval("#team-filter", (select) => select.selectedOptions[0]?.textContent)) === "Browser team") break;
      await page.keyboard.press("ArrowDown");
    }
    expect(await page.$eval("#team-filter", (select) => select.selectedOptions[0]?.textContent)).toBe("Browser team");
    await tabTo(page, "the filter's Show button", (f) => f.tag === "button" && f.text === "Show");
    await enterAndWait(page, /team_id=/);
    expect(await page.locator("#totals dd").first().textContent()).toBe("8");

    const keyPath = `/dashboard/keys/${encodeURIComponent(keys.a1.id)}`;
    await tabTo(page, "the link to checkout service's page", (f) => f.href === keyPath);
    await enterAndWait(page, `${gateway}${keyPath}`);
    await tabTo(page, "Revoke this key…", (f) => f.text === "Revoke this key…");
    await enterAndWait(page, `${gateway}${keyPath}/revoke`);
    await tabTo(page, "the confirmation's button", (f) => f.id === "confirm-revoke");
    await enterAndWait(page, `${gateway}${keyPath}`);
    expect(await page.textContent("#key-status")).toBe("revoked");
    expect((await chat(gateway, keys.a1.key, "llama-3.3-70b")).status).toBe(401);
    expect(pointer).toEqual([]);
  });

  /*
   * The contract: each figure.chart holds a table (besides uPlot's legend) with a column headed
   * by each line's label exactly as uPlot shows it, one body row per point in order, the row's
   * <th> the point's time as Date.parse reads it (ISO 8601, UTC), and its cells the numbers uPlot
   * was given (to the micro-dollar). What uPlot was given is recorded as the page draws.
   */
  it("gives every chart a table holding the points it draws, for screen readers (a canvas says nothing)", async () => {
    const page = await newPage();
    await recordCharts(page.context());
    let charts = 0;
    await everyPage(page, async () => {
      for (const { figure, drawn, table } of await chartsAndTables(page)) {
        charts++;
        expect(drawn, `${figure}: uPlot drew it`).not.toBeNull();
        expect(table, `${figure}: a table in the figure`).not.toBeNull();
        if (drawn === null || table === null) continue;
        expect(drawn.data[0]?.length ?? 0, `${figure}: points`).toBeGreaterThan(0);
        const [, ...lines] = drawn.labels;
        const column = (label: string) => table.headers.indexOf(label) - 1;
        expect(
          lines.filter((label) => column(label) < 0),
          `${figure}: a column headed by each line's label`,
        ).toEqual([]);
        // Row headers are the points' times (ISO 8601, UTC), cells the values uPlot was given.
        const asTable = {
          t: table.rows.map((row) => Date.parse(row.head) / 1000),
          lines: lines.map((label) => table.rows.map((row) => cellNumber(row.cells[column(label)] ?? ""))),
        };
        const asDrawn = { t: drawn.data[0], lines: drawn.data.slice(1).map((points) => points.map((n) => Math.round(n * 1e6) / 1e6)) };
        expect(asTable, `${figure}: the table's points are the chart's`).toEqual(asDrawn);
      }
    });
    // Overview, overview by team, key page: two or more charts each.
    expect(charts).toBeGreaterThanOrEqual(6);
  });

  for (const viewport of VIEWPORTS) {
    it(`fits ${viewport.width}×${viewport.height} on every page: no sideways page scroll, charts in their columns, wide tables scrolling in their own box`, async () => {
      const page = await newPage(viewport);
      const problems: Record<string, unknown> = {};
      await everyPage(page, async (name) => {
        await openDisclosures(page);
        const found = await layoutProblems(page);
        await shot(page, `a11y-${viewport.name}-${name}`);
        const { pageOverflow, ...lists } = found;
        if (pageOverflow > 0 || Object.values(lists).some((list) => list.length > 0)) problems[name] = found;
      });
      expect(problems).toEqual({});
    });
  }
});
