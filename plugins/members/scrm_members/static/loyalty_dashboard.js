/* The home page's member and sales charts (Chart.js), drawn from the JSON block #dashboard-data that
   members/loyalty/_dashboard_body.html renders. A static file: the Content-Security-Policy forbids inline scripts. */
(function () {
  'use strict';

  function draw() {
    var source = document.getElementById('dashboard-data');
    if (!source || !window.Chart) return;
    var d = JSON.parse(source.textContent);
    var Chart = window.Chart;
    new Chart(document.getElementById('trend-chart'), {
      type: 'line',
      data: {labels: d.trend.map(function (p) { return p.day; }),
        datasets: [{label: d.paid_label, data: d.trend.map(function (p) { return p.cents / 100; }),
          borderColor: '#067d3f'}]},
      options: {maintainAspectRatio: false, scales: {y: {min: 0}},
        plugins: {tooltip: {callbacks: {label: function (c) { return c.parsed.y.toFixed(2) + ' ' + d.yuan; }}}}}
    });
    new Chart(document.getElementById('funnel-chart'), {
      type: 'bar',
      data: {labels: d.funnel.map(function (l) { return d.funnel_labels[l.level] || l.level; }),
        datasets: [{label: '%', data: d.funnel.map(function (l) { return parseFloat(l.ratio); }),
          backgroundColor: '#067d3f'}]},
      options: {maintainAspectRatio: false, indexAxis: 'y', scales: {x: {min: 0, max: 100}}}
    });
    var channels = document.getElementById('channel-chart');
    if (channels) {
      new Chart(channels, {
        type: 'doughnut',
        data: {labels: d.channels.map(function (c) { return c.source; }),
          datasets: [{data: d.channels.map(function (c) { return c.orders; })}]},
        options: {maintainAspectRatio: false}
      });
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', draw);
  else draw();
})();
