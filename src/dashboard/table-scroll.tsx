import type { Child } from "hono/jsx";

/**
 * A table's own scroll box: a table wider (or, for a chart's points, taller) than its place scrolls
 * here, never the page. Focusable and named (a named section is a region), because a keyboard user
 * scrolls a box by focusing it (WCAG 2.1.1; axe-core's scrollable-region-focusable) and a screen
 * reader then says which box it is.
 */
export function TableScroll(props: { label: string; children?: Child }) {
  return (
    <section class="table-scroll" aria-label={props.label} tabindex={0}>
      {props.children}
    </section>
  );
}
