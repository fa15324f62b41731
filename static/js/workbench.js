// The intake form: typing in the search box narrows the matter <select> (e.g. "摆摊" → 占道经营).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-filter-select]").forEach(function (input) {
      var select = document.getElementById(input.getAttribute("data-filter-select"));
      if (!select) return;
      var options = Array.prototype.slice.call(select.querySelectorAll("option"));
      // Keywords live in data-keywords so "摆摊" finds 占道经营.
      input.addEventListener("input", function () {
        var q = input.value.trim();
        var first = null;
        options.forEach(function (option) {
          var text = option.textContent + " " + (option.getAttribute("data-keywords") || "") + " " +
            (option.parentNode.label || "");
          var hit = !q || text.indexOf(q) !== -1;
          option.hidden = !hit;
          if (hit && option.value && !first) first = option;
        });
        if (q && first) { select.value = first.value; select.dispatchEvent(new Event("change", { bubbles: true })); }
      });
    });
    // 预约服务: the booked time is asked only when the matter is an assisted service.
    var category = document.getElementById("id_category");
    var booked = document.getElementById("booked-field");
    if (category && booked) {
      var showBooked = function () {
        var option = category.options[category.selectedIndex];
        var service = !!(option && option.getAttribute("data-service"));
        booked.classList.toggle("hidden", !service);
        if (!service) booked.querySelector("input").value = "";
      };
      category.addEventListener("change", showBooked);
      showBooked();
    }
  });
})();
