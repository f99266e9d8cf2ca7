/* 《订单复盘报告》 charts: reads the figures the page embeds (json_script "review-figures") and draws them
   with the vendored Chart.js. Labels come from the canvases' data attributes, in the page's language. */
(function () {
  "use strict";

  var BLUE = "#0b6bcb", LIGHT = "#9fc5f8", GREEN = "#067647", RED = "#b42318", GREY = "#9aa5b1";

  function figures() {
    var element = document.getElementById("review-figures");
    return element ? JSON.parse(element.textContent) : null;
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) { return; }
    config.options = Object.assign({ animation: false, responsive: true, aspectRatio: 1.4 }, config.options || {});
    new window.Chart(canvas, config);
    canvas.setAttribute("data-drawn", "true");
  }

  function labels(id) {
    var canvas = document.getElementById(id);
    return canvas ? (canvas.getAttribute("data-labels") || "").split("|") : [];
  }

  function attribute(id, name) {
    var canvas = document.getElementById(id);
    return canvas ? canvas.getAttribute(name) || "" : "";
  }

  var integerAxis = { y: { beginAtZero: true, ticks: { precision: 0 } } };

  function drawAll() {
    var f = figures();
    if (!f || !window.Chart) { return; }
    var delivery = f.delivery;
    draw("chart-on-time", {
      type: "doughnut",
      data: { labels: labels("chart-on-time"),
              datasets: [{ data: [delivery.on_time, delivery.late, delivery.no_date], backgroundColor: [GREEN, RED, GREY] }] },
      options: { plugins: { legend: { position: "bottom" } } }
    });
    var unit = attribute("chart-satisfaction", "data-unit");
    draw("chart-satisfaction", {
      type: "bar",
      data: { labels: f.satisfaction.distribution.map(function (row) { return row.score + unit; }),
              datasets: [{ label: attribute("chart-satisfaction", "data-label"), backgroundColor: BLUE,
                           data: f.satisfaction.distribution.map(function (row) { return row.count; }) }] },
      options: { scales: integerAxis, plugins: { legend: { display: false } } }
    });
    draw("chart-tickets", {
      type: "bar",
      data: { labels: f.tickets.by_type.map(function (row) { return row.label; }),
              datasets: [{ label: attribute("chart-tickets", "data-label"), backgroundColor: BLUE,
                           data: f.tickets.by_type.map(function (row) { return row.count; }) }] },
      options: { scales: integerAxis, plugins: { legend: { display: false } } }
    });
    var phaseLabels = labels("chart-phases");
    draw("chart-phases", {
      type: "bar",
      data: { labels: f.phases.map(function (row) { return row.label; }),
              datasets: [
                { label: phaseLabels[0], backgroundColor: BLUE, data: f.phases.map(function (row) { return row.median_days; }) },
                { label: phaseLabels[1], backgroundColor: LIGHT, data: f.phases.map(function (row) { return row.p90_days; }) }
              ] },
      options: { scales: { y: { beginAtZero: true } }, plugins: { legend: { position: "bottom" } } }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
}());
