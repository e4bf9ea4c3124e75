/* Draws the dashboard charts with the vendored Chart.js. Each <figure data-chart="ID"> holds a
   <canvas> and a <script type="application/json" id="ID"> with labels, values and the URL of
   the list behind each bar; clicking a bar opens that list. The table in the same figure shows
   the same figures with links, for keyboards, screen readers and machines without JavaScript. */
(function () {
  "use strict";
  // Series colours, distinguishable with the common colour-vision deficiencies (Okabe–Ito).
  var COLOURS = ["#1f5fa8", "#009e73", "#d55e00", "#e69f00", "#56b4e9", "#cc79a7", "#000000"];
  function draw() {
    if (typeof Chart === "undefined") return;
    var lang = document.documentElement.lang || "es-AR";
    document.querySelectorAll("figure[data-chart]").forEach(function (figure) {
      var source = document.getElementById(figure.dataset.chart);
      var canvas = figure.querySelector("canvas");
      if (!source || !canvas || canvas.dataset.drawn) return;
      var data = JSON.parse(source.textContent);
      var money = data.unit === "ARS";
      var format = new Intl.NumberFormat(lang, money ? { minimumFractionDigits: 2, maximumFractionDigits: 2 } : {});
      var tick = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
      canvas.dataset.drawn = "1";
      // A horizontal chart of many bars is taller (set here, not in a style attribute: the CSP allows none).
      var box = canvas.parentElement;
      if (box && box.dataset.rem) box.style.height = box.dataset.rem + "rem";
      var horizontal = !data.datasets && data.labels.length > 6;
      var scales = {};
      scales[horizontal ? "x" : "y"] = { beginAtZero: true, ticks: { precision: 0, callback: function (v) { return tick.format(v); } } };
      var sets = data.datasets || [{ label: data.title, values: data.values, urls: data.urls }];
      new Chart(canvas, {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: sets.map(function (set, i) {
            return { label: set.label, data: set.values, backgroundColor: COLOURS[i % COLOURS.length] };
          })
        },
        options: {
          indexAxis: horizontal ? "y" : "x",
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          plugins: {
            legend: { display: sets.length > 1 },
            tooltip: { callbacks: { label: function (ctx) { return format.format(ctx.raw); } } }
          },
          scales: scales,
          onHover: function (event, elements) { event.native.target.style.cursor = elements.length ? "pointer" : "default"; },
          onClick: function (event, elements) {
            if (!elements.length) return;
            var url = sets[elements[0].datasetIndex].urls[elements[0].index];
            if (url) window.location.href = url;
          }
        }
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
