// The leaders' dashboard and the big screen: draws the charts from the page's JSON
// (<script type="application/json" id="dashboard-data">), no inline script (CSP), no tiles.
// Every word shown comes from the server (translated there): data.labels, data.map.legend.
(function () {
  "use strict";
  var COLOURS = { red: "#d32f2f", orange: "#ef6c00", yellow: "#f9a825", green: "#2e7d32" };
  var GREY = "#d5d9de", NO_DATA = "#a7b6c4";
  var charts = {};

  function dark() { return document.body.classList.contains("big-screen"); }
  function narrow() { return window.innerWidth < 600; }

  function chart(id) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) return null;
    if (!charts[id]) {
      // The map draws as SVG: its names are text a reader (and a test) can find.
      charts[id] = echarts.init(el, dark() ? "dark" : null, { renderer: id === "chart-map" ? "svg" : "canvas" });
      charts[id].on("finished", function () { el.setAttribute("data-drawn", "1"); });
    }
    return charts[id];
  }

  function go(params) {
    var url = params.data && (params.data.link || params.data.url);
    if (url) window.location.href = url;
  }

  function percent(v) { return v === null || v === undefined ? "–" : v.toFixed(1) + "%"; }

  function trend(data) {
    var c = chart("chart-trend");
    if (!c) return;
    var L = data.labels.counts;
    c.setOption({
      backgroundColor: "transparent",
      tooltip: { trigger: "axis" },
      legend: { top: dark() ? 30 : 0 },
      grid: { left: 36, right: 44, top: dark() ? 62 : 32, bottom: 24 },
      xAxis: { type: "category", data: data.trend.labels },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", max: 100, axisLabel: { formatter: "{value}%" } }],
      series: [
        { name: L["new"], type: "bar", data: data.trend["new"] },
        { name: L.closed, type: "bar", data: data.trend.closed },
        { name: L.overdue, type: "line", data: data.trend.overdue, itemStyle: { color: COLOURS.red } },
        { name: data.labels.on_time_rate, type: "line", yAxisIndex: 1, connectNulls: true,
          data: data.trend.on_time_rate, itemStyle: { color: COLOURS.green } },
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
      grid: { left: 110, right: 20, top: dark() ? 36 : 10, bottom: 20 },
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
      // On the big screen's narrow cells the names go in a legend below, not beside.
      legend: dark() ? { bottom: 4, textStyle: { fontSize: 12 } } : undefined,
      series: [{
        label: { show: !dark() },
        type: "pie", radius: ["35%", "68%"], center: ["50%", dark() ? "56%" : "50%"],
        data: items.map(function (i) {
          var d = { name: i.label, value: i.value, link: i.link };
          if (colours && COLOURS[i.key]) d.itemStyle = { color: COLOURS[i.key] };
          return d;
        }),
      }],
    });
    c.off("click"); c.on("click", go);
  }

  // The map's legend: grey for "no cases", blue-grey for "nothing to measure", then the
  // value bands; 0 is a colour of its own, so "none overdue" never looks like "no cases".
  function pieces(m, values) {
    var out = [{ value: -1, label: m.legend.no_cases, color: GREY }];
    if (m.is_rate) {
      out.push({ value: -2, label: m.legend.no_data, color: NO_DATA });
      var bands = m.scale === "good_high"
        ? [[95, 100.01, "#2e7d32"], [85, 95, "#8bc34a"], [70, 85, "#f9a825"], [50, 70, "#ef6c00"], [0, 50, "#d32f2f"]]
        : [[0, 5, "#2e7d32"], [5, 15, "#8bc34a"], [15, 30, "#f9a825"], [30, 50, "#ef6c00"], [50, 100.01, "#d32f2f"]];
      bands.forEach(function (b) {
        out.push({ gte: b[0], lt: b[1], color: b[2], label: b[0] + "–" + Math.floor(b[1]) + "%" });
      });
      return out;
    }
    var ramp = m.scale === "neutral"
      ? ["#c6dbef", "#9ecae1", "#4292c6", "#08519c"]
      : ["#f9a825", "#ef6c00", "#d32f2f", "#8e0000"];
    out.push({ value: 0, label: "0", color: m.scale === "neutral" ? "#eef5fb" : "#2e7d32" });
    var max = Math.max.apply(null, values.concat([0]));
    if (max <= 4) {
      for (var i = 1; i <= max; i++) out.push({ value: i, label: String(i), color: ramp[i - 1] });
      return out;
    }
    var step = Math.ceil(max / 4), low = 1;
    for (var k = 0; k < 4 && low <= max; k++) {
      var high = k === 3 ? max : Math.min(max, low + step - 1);
      out.push({ gte: low, lte: high, label: low === high ? String(low) : low + "–" + high, color: ramp[k] });
      low = high + 1;
    }
    return out;
  }

  function map(data) {
    var c = chart("chart-map");
    if (!c) return;
    var m = data.map;
    if (!m.features.length) {
      c.setOption({ title: { text: data.labels.no_boundaries, left: "center", top: "middle", textStyle: { fontSize: 14 } } });
      return;
    }
    var name = "areas-" + data.area.code;
    echarts.registerMap(name, { type: "FeatureCollection", features: m.features });
    var byCode = {};
    m.values.forEach(function (v) { byCode[v.name] = v; });
    var shown = m.values.filter(function (v) { return !v.state; }).map(function (v) { return v.value; });
    function encoded(v) { return v.state === "no_cases" ? -1 : v.state === "no_data" ? -2 : v.value; }
    function valueText(v) {
      if (v.state) return m.legend[v.state];
      return m.is_rate ? percent(v.value) : String(v.value);
    }
    var phone = narrow(), big = dark(), small = phone || big;
    var font = phone ? 10 : big ? 15 : 12;
    var ink = big ? { color: "#ffffff", textBorderColor: "#0b1a2e" } : { color: "#1f2933", textBorderColor: "#ffffff" };
    c.setOption({
      backgroundColor: "transparent",
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var v = byCode[p.name];
          if (!v) return p.name;
          return v.label + "<br>" + m.label + ": " + valueText(v);
        },
      },
      visualMap: {
        type: "piecewise", seriesIndex: 0, pieces: pieces(m, shown),
        orient: small ? "horizontal" : "vertical", left: small ? "center" : 8, bottom: 4,
        itemWidth: 14, itemHeight: 10, itemGap: small ? 6 : 4, textGap: 4,
        text: small ? null : [m.label], showLabel: true, selectedMode: false,
        textStyle: { fontSize: big ? 14 : 11 },
      },
      geo: {
        map: name, roam: true, nameProperty: "name", top: dark() ? 40 : 8, bottom: small ? 56 : 8,
        left: small ? 4 : 96, right: 4, scaleLimit: { min: 0.8, max: 8 },
        itemStyle: { borderColor: dark() ? "#0b1a2e" : "#ffffff", borderWidth: m.label_units ? 2 : 0.8 },
        emphasis: { itemStyle: { borderColor: "#1456a0", borderWidth: 2 }, label: { show: true } },
        select: { disabled: true },
        label: {
          show: m.label_units, fontSize: font + 1, fontWeight: "bold",
          color: ink.color, textBorderColor: ink.textBorderColor, textBorderWidth: 2,
          formatter: function (p) {
            var v = byCode[p.name];
            return v ? v.short + "\n" + valueText(v) : "";
          },
        },
      },
      series: [
        {
          type: "map", geoIndex: 0,
          data: m.values.map(function (v) { return { name: v.name, value: encoded(v), url: v.url }; }),
        },
        { // the communities of a street: their outlines over the blocks
          type: "lines", coordinateSystem: "geo", polyline: true, silent: true, zlevel: 1,
          lineStyle: { color: dark() ? "#e6edf5" : "#37474f", width: 2, opacity: 0.9 },
          data: [].concat.apply([], m.outlines.map(function (o) {
            return o.rings.map(function (ring) { return { coords: ring }; });
          })),
        },
        { // and their names
          type: "scatter", coordinateSystem: "geo", symbolSize: 1, silent: true, zlevel: 2,
          label: {
            show: true, formatter: "{b}", fontSize: font, fontWeight: "bold",
            color: ink.color, textBorderColor: ink.textBorderColor, textBorderWidth: 2,
          },
          data: m.outlines.map(function (o) { return { name: o.name, value: o.centre }; }),
        },
      ],
    });
    c.off("click");
    c.on("click", function (p) {
      var v = byCode[p.name];
      if (v && v.url) window.location.href = v.url;
    });
  }

  function departments(data) {
    var c = chart("chart-departments");
    if (!c) return;
    var L = data.labels;
    var top = data.departments.slice(0, 10).reverse();
    function flag(d) {
      if (d.composite === null && d.awaiting_street_score) return L.awaiting;
      return d.small_sample ? L.small_sample : "";
    }
    c.setOption({
      backgroundColor: "transparent",
      title: dark() ? { text: L.ranking, left: "center", textStyle: { fontSize: 14 } } : undefined,
      tooltip: { trigger: "item" },
      grid: { left: 130, right: 92, top: dark() ? 30 : 6, bottom: 20 },
      xAxis: { type: "value", max: 100 },
      yAxis: { type: "category", data: top.map(function (d) { return d.name; }), axisLabel: { width: 120, overflow: "truncate" } },
      series: [{
        type: "bar",
        label: {
          show: true, position: "right", fontSize: 11,
          formatter: function (p) {
            var f = p.data.flag, v = p.data.value === null || p.data.value === undefined ? "" : p.data.value;
            return f ? v + " " + f : String(v);
          },
        },
        data: top.map(function (d) {
          // A department awaiting its street's score ranks by its case score, drawn faint;
          // one with few cases is drawn half faint.
          var awaiting = d.composite === null;
          return {
            value: awaiting ? d.case_score : d.composite, link: d.link, flag: flag(d),
            itemStyle: awaiting ? { opacity: 0.35 } : d.small_sample ? { opacity: 0.6 } : undefined,
          };
        }),
      }],
    });
    c.off("click"); c.on("click", go);
  }

  // The big screen's charts carry their titles (data-title); the page's are in headings.
  function titles() {
    Object.keys(charts).forEach(function (id) {
      var title = document.getElementById(id).getAttribute("data-title");
      if (!title) return;
      if (id === "chart-map") title += "：" + lastData.map.label;
      charts[id].setOption({ title: { text: title, left: 10, top: 6, textStyle: { fontSize: 15 } } });
    });
  }

  var lastData = null;
  function draw(data) {
    lastData = data;
    trend(data);
    bars("chart-category", data.breakdowns.category);
    pie("chart-channel", data.breakdowns.channel, false);
    pie("chart-priority", data.breakdowns.priority, true);
    map(data);
    departments(data);
    titles();
  }

  function clock(iso) {
    var d = new Date(iso);
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return isNaN(d) ? "" : two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
  }

  function refreshKpis(data) {
    var byName = {};
    data.kpis.forEach(function (k) { byName[k.name] = String(k.value); });
    data.rates.forEach(function (r) { byName[r.name] = r.display; });
    document.querySelectorAll(".bs-kpi").forEach(function (el) {
      var v = byName[el.getAttribute("data-measure")];
      if (v !== undefined) el.querySelector(".value").textContent = v;
    });
    var now = document.getElementById("bs-now");
    if (now && data.now) now.textContent = clock(data.now);
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
    var data = JSON.parse(source.textContent);
    draw(data);
    customDates();
    if (document.body.classList.contains("big-screen")) bigScreen();
    window.addEventListener("resize", function () {
      Object.keys(charts).forEach(function (k) { charts[k].resize(); });
    });
  });
})();
