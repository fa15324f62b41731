// Live countdowns on yellow/red cards: every .clock[data-due] counts down each second and
// turns yellow at its warning time and red when overdue, without a reload. The text is
// built from the page's language (zh-hans or en).
(function () {
  "use strict";
  var zh = (document.documentElement.lang || "").indexOf("zh") === 0;
  function span(ms) {
    var m = Math.floor(Math.abs(ms) / 60000), d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60), mm = m % 60;
    if (zh) return (d ? d + "天" : "") + (h ? h + "小时" : "") + (d ? "" : mm + "分钟");
    return (d ? d + "d " : "") + (h ? h + "h " : "") + (d ? "" : mm + "min");
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".clock[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      var warn = Date.parse(el.getAttribute("data-warn") || "");
      if (isNaN(due)) return;
      var left = due - now;
      el.classList.remove("card-none", "card-yellow", "card-red");
      if (left <= 0) {
        el.classList.add("card-red");
        el.textContent = zh ? "已超时" + span(left) : "overdue by " + span(left);
      } else {
        el.classList.add(!isNaN(warn) && now >= warn ? "card-yellow" : "card-none");
        el.textContent = zh ? "剩余" + span(left) : span(left) + " left";
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
    document.body.addEventListener("htmx:afterSwap", tick);
  });
})();
