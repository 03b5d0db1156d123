/* The cockpit's charts (Chart.js, vendored). The figures come from the page's JSON block
   (#figure-data), already suppressed: a hidden count ("<5") is left out of the chart (a gap),
   the table beside each chart shows it. No inline script: the CSP allows only 'self'. */
(function () {
  "use strict";

  function number(value) {
    return typeof value === "number" ? value : null;
  }

  function column(figure, index) {
    return figure.cells.map(function (row) { return number(row[index]); });
  }

  function config(figure, reference) {
    var stacked = { x: { stacked: true }, y: { stacked: true, beginAtZero: true } };
    var datasets = figure.columns.map(function (c, i) {
      return { label: c.label, data: column(figure, i) };
    });
    if (figure.id === "attempt" || figure.id === "contact") {
      return {
        type: "line",
        data: { labels: figure.periods,
                datasets: [{ label: "% " + figure.columns[0].label, data: figure.shares,
                             spanGaps: true }] },
        options: { maintainAspectRatio: false,
                   scales: { y: { beginAtZero: true, max: 100 } } }
      };
    }
    if (figure.id === "legal") {
      datasets.push({ type: "line", label: "2014: " + reference,
                      data: figure.periods.map(function () { return reference; }),
                      borderDash: [6, 4], pointRadius: 0 });
      return { type: "bar", data: { labels: figure.periods, datasets: datasets },
               options: { maintainAspectRatio: false, scales: { y: { beginAtZero: true } } } };
    }
    return { type: "bar", data: { labels: figure.periods, datasets: datasets },
             options: { maintainAspectRatio: false, scales: stacked,
                        plugins: { legend: { display: datasets.length <= 8 } } } };
  }

  function draw() {
    var source = document.getElementById("figure-data");
    if (!source || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    data.figures.forEach(function (figure) {
      var canvas = document.getElementById("chart-" + figure.id);
      if (canvas) { new window.Chart(canvas, config(figure, data.reference)); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
}());
