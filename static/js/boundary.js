// Draws a block's GeoJSON boundary with ECharts (no tile server: the shape alone).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("boundary-chart");
    if (!el || !window.echarts) return;
    var geometry = JSON.parse(el.getAttribute("data-geojson"));
    var name = el.getAttribute("data-name");
    var mapName = "block-" + Date.now();
    echarts.registerMap(mapName, {
      type: "FeatureCollection",
      features: [{ type: "Feature", properties: { name: name }, geometry: geometry }],
    });
    var chart = echarts.init(el);
    chart.setOption({
      series: [{
        type: "map", map: mapName, roam: true,
        itemStyle: { areaColor: "#ffe0e0", borderColor: "#b71c1c", borderWidth: 2 },
        label: { show: true }, data: [{ name: name, value: 1 }],
      }],
    });
    el.setAttribute("data-drawn", "1");
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
