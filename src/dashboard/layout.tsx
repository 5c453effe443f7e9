import type { Child } from "hono/jsx";
import type { Operator } from "../admin/operator";

/**
 * Every page's frame: our own stylesheet and scripts only (CSP: 'self'), a skip link, and the
 * sign-out form. <main> takes focus from the skip link (tabindex -1: focusable, not a Tab stop),
 * so the next Tab starts in the content.
 */
export function Layout(props: { title: string; operator?: Operator; csrf?: string; charts?: boolean; children?: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · tensoras-gateway`}</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="/dashboard/assets/dashboard.css" />
        {props.charts ? <link rel="stylesheet" href="/dashboard/assets/uplot.css" /> : null}
        {props.charts ? <script src="/dashboard/assets/uplot.js" defer /> : null}
        {props.charts ? <script src="/dashboard/assets/dashboard.js" defer /> : null}
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header>
          <strong>tensoras-gateway</strong>
          {props.operator ? (
            <nav aria-label="Dashboard">
              <a href="/dashboard">Overview</a>
              <a href="/dashboard/health">Ledger health</a>
              <span class="who">
                {props.operator.name} ({props.operator.role})
              </span>
              <form method="post" action="/dashboard/logout" class="inline">
                <input type="hidden" name="csrf" value={props.csrf ?? ""} />
                <button type="submit">Sign out</button>
              </form>
            </nav>
          ) : null}
        </header>
        <main id="main" tabindex={-1}>
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

/**
 * JSON that cannot end a <script> element or open a comment in one: `<`, `>` and `&` as \u escapes
 * (JSON.parse reads them back). Entity escaping would not do: a script element's text is not decoded.
 */
export function scriptSafeJson(data: unknown): string {
  return JSON.stringify(data)
    .replaceAll("<", "\\u003c")
    .replaceAll(">", "\\u003e")
    .replaceAll("&", "\\u0026")
    .replaceAll("\u2028", "\\u2028")
    .replaceAll("\u2029", "\\u2029");
}

/** Chart data for dashboard.js: a non-executable JSON block (CSP allows no inline script). */
export function ChartData(props: { id: string; data: unknown }) {
  return <script type="application/json" id={props.id} dangerouslySetInnerHTML={{ __html: scriptSafeJson(props.data) }} />;
}
