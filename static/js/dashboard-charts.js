// Draw the dashboard charts from the JSON the page carries; the tables
// beside each chart hold the same numbers.
(function () {
  "use strict";
  if (!window.echarts) { return; }
  var red = "#c8161d", gold = "#e5a23a", blue = "#2f6db5", grey = "#8a8f98";

  function base() {
    return { animation: false, tooltip: { trigger: "axis", renderMode: "richText" },
             grid: { left: 40, right: 40, top: 30, bottom: 30, containLabel: true } };
  }

  var build = {
    trend: function (d) {
      return Object.assign(base(), {
        legend: { data: [d.labels.lessons, d.labels.attendance] },
        xAxis: { type: "category", data: d.months },
        yAxis: [{ type: "value", minInterval: 1 }, { type: "value", max: 100 }],
        series: [
          { name: d.labels.lessons, type: "bar", data: d.lessons, itemStyle: { color: red } },
          { name: d.labels.attendance, type: "line", yAxisIndex: 1, data: d.attendance, itemStyle: { color: blue } }
        ]
      });
    },
    hours: function (d) {
      return Object.assign(base(), {
        xAxis: { type: "category", data: d.hours_labels },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ name: d.labels.members, type: "bar", data: d.hours_values, itemStyle: { color: gold } }]
      });
    },
    evaluation: function (d) {
      return Object.assign(base(), {
        xAxis: { type: "category", data: d.evaluation_labels },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ name: d.labels.members, type: "bar", data: d.evaluation_values, itemStyle: { color: red } }]
      });
    },
    branches: function (d) {
      return Object.assign(base(), {
        legend: { data: [d.labels.plan, d.labels.compliance] },
        // Long branch names would leave the bars no room on a phone: cut them
        // short there (the table view below the chart has them in full).
        yAxis: {
          type: "category", data: d.branches, inverse: true,
          axisLabel: { width: window.innerWidth < 576 ? 96 : 200, overflow: "truncate" }
        },
        xAxis: { type: "value", max: 100 },
        series: [
          { name: d.labels.plan, type: "bar", data: d.plan_completion, itemStyle: { color: blue } },
          { name: d.labels.compliance, type: "bar", data: d.compliance, itemStyle: { color: grey } }
        ]
      });
    }
  };

  document.querySelectorAll(".dashboard-chart").forEach(function (el) {
    var source = document.getElementById(el.dataset.source);
    if (!source || !build[el.dataset.chart]) { return; }
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption(build[el.dataset.chart](JSON.parse(source.textContent)));
    window.addEventListener("resize", function () { chart.resize(); });
  });
}());
