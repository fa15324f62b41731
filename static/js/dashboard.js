// The leaders' dashboard and the big screen: draws the charts from the page's JSON
// (<script type="application/json" id="dashboard-data">), no inline script (CSP), no tiles.
(function () {
  "use strict";
  var COLOURS = { red: "#d32f2f", orange: "#ef6c00", yellow: "#f9a825", green: "#2e7d32" };
  var charts = {};

  function dark() { return document.body.classList.contains("big-screen"); }

  function chart(id) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) return null;
    if (!charts[id]) {
      charts[id] = echarts.init(el, dark() ? "dark" : null);
      charts[id].on("finished", function () { el.setAttribute("data-drawn", "1"); });
    }
    return charts[id];
  }

  function go(params) {
    var url = params.data && (params.data.link || params.data.url);
    if (url) window.location.href = url;
  }

  function trend(data) {
    var c = chart("chart-trend");
    if (!c) return;
    c.setOption({
      backgroundColor: "transparent",
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 40, right: 40, top: 30, bottom: 30 },
      xAxis: { type: "category", data: data.trend.labels },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", max: 100, axisLabel: { formatter: "{value}%" } }],
      series: [
        { name: "受理", type: "bar", data: data.trend["new"] },
        { name: "结案", type: "bar", data: data.trend.closed },
        { name: "超期", type: "line", data: data.trend.overdue },
        { name: "按期办结率", type: "line", yAxisIndex: 1, connectNulls: true, data: data.trend.on_time_rate },
      ],
    });
  }

  function bars(id, items) {
    var c = chart(id);
    if (!c) return;
    var top = items.slice(0, 12).reverse();
    c.setOption({
      backgroundColor: "transparent",
      tooltip: { trigger: "item" },
      grid: { left: 110, right: 20, top: 10, bottom: 20 },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: top.map(function (i) { return i.label; }), axisLabel: { width: 100, overflow: "truncate" } },
      series: [{ type: "bar", data: top.map(function (i) { return { value: i.value, link: i.link }; }) }],
    });
    c.off("click"); c.on("click", go);
  }

  function pie(id, items, colours) {
    var c = chart(id);
    if (!c) return;
    c.setOption({
      backgroundColor: "transparent",
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      series: [{
        type: "pie", radius: ["35%", "70%"],
        data: items.map(function (i) {
          var d = { name: i.label, value: i.value, link: i.link };
          if (colours && COLOURS[i.key]) d.itemStyle = { color: COLOURS[i.key] };
          return d;
        }),
      }],
    });
    c.off("click"); c.on("click", go);
  }

  function map(data) {
    var c = chart("chart-map");
    if (!c) return;
    var features = data.map.features;
    if (!features.length) {
      c.setOption({ title: { text: "无区块边界", left: "center", top: "middle", textStyle: { fontSize: 14 } } });
      return;
    }
    var name = "blocks-" + data.area.code;
    echarts.registerMap(name, { type: "FeatureCollection", features: features });
    var values = data.map.values.filter(function (v) { return v.value !== null; }).map(function (v) { return v.value; });
    var max = values.length ? Math.max.apply(null, values) : 1;
    var min = values.length ? Math.min.apply(null, values) : 0;
    var good = data.map.higher_is_better;
    var scale = ["#2e7d32", "#f9a825", "#d32f2f"];
    c.setOption({
      backgroundColor: "transparent",
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var label = (p.data && p.data.label) || p.name;
          return label + "<br>" + data.map.label + ": " + (p.value === undefined || isNaN(p.value) ? "–" : p.value);
        },
      },
      visualMap: {
        min: min, max: max === min ? min + 1 : max, calculable: true, left: 10, bottom: 10,
        inRange: { color: good ? scale.slice().reverse() : scale },
        text: ["高", "低"],
      },
      series: [{
        type: "map", map: name, roam: true, nameProperty: "name",
        label: { show: false }, emphasis: { label: { show: false } },
        itemStyle: { borderColor: "#555", borderWidth: 0.5, areaColor: "#eeeeee" },
        data: data.map.values.map(function (v) {
          return { name: v.name, value: v.value === null ? NaN : v.value, label: v.label, url: v.url };
        }),
      }],
    });
    c.off("click"); c.on("click", go);
  }

  function departments(data) {
    var c = chart("chart-departments");
    if (!c) return;
    var top = data.departments.slice(0, 10).reverse();
    c.setOption({
      backgroundColor: "transparent",
      title: { text: "一事一考部门排名", left: "center", textStyle: { fontSize: 14 } },
      tooltip: { trigger: "item" },
      grid: { left: 130, right: 30, top: 30, bottom: 20 },
      xAxis: { type: "value", max: 100 },
      yAxis: { type: "category", data: top.map(function (d) { return d.name; }), axisLabel: { width: 120, overflow: "truncate" } },
      series: [{ type: "bar", data: top.map(function (d) { return { value: d.composite, link: d.link }; }) }],
    });
    c.off("click"); c.on("click", go);
  }

  function draw(data) {
    trend(data);
    bars("chart-category", data.breakdowns.category);
    pie("chart-channel", data.breakdowns.channel, false);
    pie("chart-priority", data.breakdowns.priority, true);
    map(data);
    departments(data);
  }

  function refreshKpis(data) {
    var byName = {};
    data.kpis.forEach(function (k) { byName[k.name] = String(k.value); });
    data.rates.forEach(function (r) { byName[r.name] = r.percent === null ? "–" : r.percent + "%"; });
    document.querySelectorAll(".bs-kpi").forEach(function (el) {
      var v = byName[el.getAttribute("data-measure")];
      if (v !== undefined) el.querySelector(".value").textContent = v;
    });
    var now = document.getElementById("bs-now");
    if (now && data.now) now.textContent = data.now.slice(11, 19);
  }

  function bigScreen() {
    var url = document.body.getAttribute("data-refresh-url");
    var seconds = parseInt(document.body.getAttribute("data-refresh-seconds") || "60", 10);
    setInterval(function () {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data) { draw(data); refreshKpis(data); } });
    }, seconds * 1000);
    var button = document.getElementById("bs-fullscreen");
    if (button) button.addEventListener("click", function () {
      if (document.fullscreenElement) document.exitFullscreen();
      else document.documentElement.requestFullscreen();
    });
  }

  function customDates() {
    var form = document.getElementById("dash-filters");
    if (!form) return;
    form.querySelectorAll("input[type=date]").forEach(function (input) {
      input.addEventListener("change", function () { form.elements.period.value = "custom"; });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("dashboard-data");
    if (!source) return;
    draw(JSON.parse(source.textContent));
    customDates();
    if (document.body.classList.contains("big-screen")) bigScreen();
    window.addEventListener("resize", function () {
      Object.keys(charts).forEach(function (k) { charts[k].resize(); });
    });
  });
})();
