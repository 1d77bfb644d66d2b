// Study hours by month: a stacked bar chart for each .progress-chart element.
// The numbers come from a json_script element named by data-chart-source, so
// the page needs no inline script (the CSP forbids it).
(function () {
  "use strict";

  var COLOURS = ["#c8161d", "#e6a23c", "#2f6fb0"];

  function draw(el) {
    var source = document.getElementById(el.dataset.chartSource);
    if (!source || typeof echarts === "undefined") {
      return null;
    }
    var data = JSON.parse(source.textContent);
    // SVG and rich-text tooltips: the default HTML tooltip writes style
    // attributes, which the CSP blocks.
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      color: COLOURS,
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, renderMode: "richText" },
      legend: { top: 0 },
      grid: { left: 8, right: 8, bottom: 8, top: 36, containLabel: true },
      xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, hideOverlap: true } },
      yAxis: { type: "value", minInterval: 0.5 },
      series: data.series.map(function (series) {
        return { name: series.name, type: "bar", stack: "hours", data: series.data, emphasis: { focus: "series" } };
      }),
    });
    return chart;
  }

  function init() {
    var charts = [];
    document.querySelectorAll(".progress-chart").forEach(function (el) {
      var chart = draw(el);
      if (chart) {
        charts.push(chart);
      }
    });
    if (charts.length) {
      window.addEventListener("resize", function () {
        charts.forEach(function (chart) {
          chart.resize();
        });
      });
    }
  }

  // Print the month table even when its <details> is closed.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details.progress-table:not([open])").forEach(function (details) {
      details.open = true;
      opened.push(details);
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (details) {
      details.open = false;
    });
    opened = [];
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
