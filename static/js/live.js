// The live session: the projector's bar chart, confirmations, and the phone's
// question form. No inline scripts (the CSP forbids them): everything hangs on
// ids and data attributes of the htmx fragments.
(function () {
  "use strict";

  var chart = null;
  var COLOUR = "#c8161d";
  var CORRECT = "#198754";

  function drawChart() {
    var el = document.getElementById("live-chart");
    var source = document.getElementById("live-chart-source");
    if (!el || typeof echarts === "undefined") {
      return;
    }
    if (!source || source.dataset.show !== "1") {
      el.hidden = true;
      return;
    }
    el.hidden = false;
    var labels = source.dataset.labels ? source.dataset.labels.split(",") : [];
    var counts = source.dataset.counts ? source.dataset.counts.split(",").map(Number) : [];
    var correct = source.dataset.correct || "";
    if (!chart) {
      // SVG renderer: the canvas tooltip writes style attributes the CSP blocks.
      chart = echarts.init(el, null, { renderer: "svg" });
    }
    chart.setOption({
      animation: false,
      grid: { left: 8, right: 8, bottom: 8, top: 16, containLabel: true },
      xAxis: { type: "category", data: labels, axisLabel: { fontSize: 20 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{
        type: "bar",
        label: { show: true, position: "top", fontSize: 18 },
        data: counts.map(function (value, i) {
          return { value: value, itemStyle: { color: correct.indexOf(labels[i]) >= 0 ? CORRECT : COLOUR } };
        }),
      }],
    });
  }

  function copyWall() {
    var source = document.getElementById("live-wall-source");
    var target = document.getElementById("live-wall-top");
    if (source && target) {
      target.replaceChildren(source.content.cloneNode(true));
    }
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target.id === "live-state") {
      drawChart();
      copyWall();
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.id === "wall-form" && event.detail.successful) {
      form.reset();
    }
  });

  // Irreversible actions ask first: app.js handles <form data-confirm="…"> on every page.

  window.addEventListener("resize", function () {
    if (chart) {
      chart.resize();
    }
  });
})();
