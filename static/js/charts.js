/* Draws the dashboard charts with the vendored Chart.js. Each <figure data-chart="ID"> holds a
   <canvas> and a <script type="application/json" id="ID"> with labels, values and the URL of
   the list behind each bar; clicking a bar opens that list. The table in the same figure shows
   the same figures with links, for keyboards, screen readers and machines without JavaScript. */
(function () {
  "use strict";
  // Series colours, distinguishable with the common colour-vision deficiencies (Okabe–Ito).
  var COLOURS = ["#1f5fa8", "#009e73", "#d55e00", "#e69f00", "#56b4e9", "#cc79a7", "#000000"];
  var FONT_PX = 12, LINE_PX = 15, WRAP_AT = 18;
  // A name split into lines of at most WRAP_AT characters, at spaces (a longer word stays whole).
  function wrap(label) {
    var lines = [], line = "";
    String(label).split(/\s+/).forEach(function (word) {
      if (line && (line + " " + word).length > WRAP_AT) { lines.push(line); line = word; }
      else line = line ? line + " " + word : word;
    });
    if (line) lines.push(line);
    return lines.length > 1 ? lines : lines[0] || "";
  }
  function boxHeight(labels, bars) {
    var rows = labels.reduce(function (sum, label) {
      var lines = Array.isArray(label) ? label.length : 1;
      return sum + Math.max(lines * LINE_PX, bars * 14) + 10;
    }, 0);
    return Math.max(rows + (bars > 1 ? 70 : 45), 120);
  }
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
      var sets = data.datasets || [{ label: data.title, values: data.values, urls: data.urls }];
      // Bars run sideways with their names on the left, each name on as many lines as it needs:
      // names never turn nor run into each other, on a phone as on a desktop. The box is as tall
      // as the names and bars need (set here, not in a style attribute: the CSP allows none).
      var labels = data.labels.map(wrap);
      var box = canvas.parentElement;
      if (box) box.style.height = boxHeight(labels, sets.length) + "px";
      var scales = {
        x: { beginAtZero: true, ticks: { precision: 0, maxRotation: 0, callback: function (v) { return tick.format(v); } } },
        y: { ticks: { autoSkip: false, maxRotation: 0, font: { size: FONT_PX } } }
      };
      new Chart(canvas, {
        type: "bar",
        data: {
          labels: labels,
          datasets: sets.map(function (set, i) {
            return { label: set.label, data: set.values, backgroundColor: COLOURS[i % COLOURS.length] };
          })
        },
        options: {
          indexAxis: "y",
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
