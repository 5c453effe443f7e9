// Draws the dashboard's charts with uPlot from the page's JSON block (no inline script: CSP).
// The block holds the bucket starts (t), the columns, and each chart's lines (src/dashboard/chart-lines.ts).
(function dashboard() {
  // A custom day picked in the filter means a custom range.
  document.querySelectorAll("[data-custom-day]").forEach(function each(input) {
    input.addEventListener("change", function pickCustom() {
      var range = document.getElementById("range-filter");
      if (range && input.value) range.value = "custom";
    });
  });

  var block = document.getElementById("chart-data");
  if (!block || typeof uPlot !== "function") return;
  var data = JSON.parse(block.textContent || "{}");
  var HEIGHT = 220;
  function widthOf(el) {
    return Math.max(240, el.clientWidth || 600);
  }
  function draw(el) {
    var lines = data.lines[el.getAttribute("data-series")];
    if (!lines) return;
    var opts = {
      width: widthOf(el),
      height: HEIGHT,
      series: [{}].concat(
        lines.map(function line(s) {
          // Filled areas only where they do not hide each other.
          return { label: s.label, stroke: s.stroke, width: 2, fill: lines.length <= 2 ? `${s.stroke}22` : undefined };
        }),
      ),
      // Times in UTC, as every window and table on the page is.
      tzDate: function utc(ts) {
        return uPlot.tzDate(new Date(ts * 1000), "Etc/UTC");
      },
      axes: [{}, { size: 70 }],
    };
    var columns = [data.t].concat(
      lines.map(function column(s) {
        return data.columns[s.key];
      }),
    );
    el.setAttribute("data-points", String(data.t.length));
    return new uPlot(opts, columns, el);
  }
  var charts = [];
  document.querySelectorAll(".chart-area").forEach(function each(el) {
    var chart = draw(el);
    if (chart) charts.push({ chart: chart, el: el });
  });
  window.addEventListener("resize", function resize() {
    charts.forEach(function each(c) {
      c.chart.setSize({ width: widthOf(c.el), height: HEIGHT });
    });
  });
})();
