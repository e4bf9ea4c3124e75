/* Draws the dashboard charts with the vendored Chart.js. Each <figure data-chart="ID"> holds a
   <canvas> and a <script type="application/json" id="ID"> with labels, values and the URL of
   the list behind each bar; clicking a bar opens that list. The table in the same figure shows
   the same figures with links, for keyboards, screen readers and machines without JavaScript. */
(function () {
  "use strict";
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
      var horizontal = data.labels.length > 6;
      var scales = {};
      scales[horizontal ? "x" : "y"] = { beginAtZero: true, ticks: { callback: function (v) { return tick.format(v); } } };
      new Chart(canvas, {
        type: "bar",
        data: { labels: data.labels, datasets: [{ label: data.title, data: data.values, backgroundColor: "#1f5fa8" }] },
        options: {
          indexAxis: horizontal ? "y" : "x",
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          plugins: {
            legend: { display: false },
            tooltip: { callbacks: { label: function (ctx) { return format.format(ctx.raw); } } }
          },
          scales: scales,
          onHover: function (event, elements) { event.native.target.style.cursor = elements.length ? "pointer" : "default"; },
          onClick: function (event, elements) { if (elements.length) window.location.href = data.urls[elements[0].index]; }
        }
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw); else draw();
})();
