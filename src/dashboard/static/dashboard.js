// Draws the dashboard's charts with uPlot from the page's JSON block (no inline script: CSP).
(function drawCharts() {
  var block = document.getElementById("chart-data");
  if (!block || typeof uPlot !== "function") return;
  var data = JSON.parse(block.textContent || "{}");
  var SERIES = {
    requests: [{ label: "Requests", key: "requests", stroke: "#2563eb" }],
    tokens: [
      { label: "Prompt tokens", key: "prompt", stroke: "#16a34a" },
      { label: "Completion tokens", key: "completion", stroke: "#ea580c" },
    ],
    cost_usd: [{ label: "Cost (USD)", key: "cost_usd", stroke: "#9333ea" }],
  };
  function draw(el) {
    var lines = SERIES[el.getAttribute("data-series")];
    if (!lines) return;
    var width = Math.max(240, el.clientWidth || 600);
    var opts = {
      width: width,
      height: 220,
      series: [{}].concat(
        lines.map(function line(s) {
          return { label: s.label, stroke: s.stroke, width: 2, fill: `${s.stroke}22` };
        }),
      ),
      axes: [{}, { size: 70 }],
    };
    var columns = [data.t].concat(
      lines.map(function column(s) {
        return data[s.key];
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
      c.chart.setSize({ width: Math.max(240, c.el.clientWidth || 600), height: 220 });
    });
  });
})();
