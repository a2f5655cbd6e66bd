/* Charts drawn from data attributes (Chart.js is loaded by the page): no inline script, for the Content Security
   Policy (script-src 'self').

   <canvas class="share-chart" data-labels="[...]" data-values="[...]">   a doughnut of shares
   <canvas data-chart="bar" data-chart-data="json-id">                   a bar chart whose Chart.js `data` object is
                                                                          the JSON in <script type="application/json"
                                                                          id="json-id">
*/
(function () {
  "use strict";

  function draw() {
    if (!window.Chart) { return; }
    document.querySelectorAll("canvas.share-chart").forEach(function (canvas) {
      new window.Chart(canvas, {
        type: "doughnut",
        data: {labels: JSON.parse(canvas.dataset.labels), datasets: [{data: JSON.parse(canvas.dataset.values)}]},
        options: {maintainAspectRatio: false, plugins: {legend: {position: "bottom"}}}
      });
    });
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.chartData);
      if (!source) { return; }
      new window.Chart(canvas, {
        type: canvas.dataset.chart,
        data: JSON.parse(source.textContent),
        options: {responsive: true, maintainAspectRatio: false,
                  scales: {y: {beginAtZero: true, ticks: {precision: 0}}}}
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
