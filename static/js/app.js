// Site-wide behaviour. No inline scripts anywhere (Content-Security-Policy forbids them).
(function () {
  "use strict";
  // Lists become cards below 600 px (issue 18): each cell of a table in a .table-wrap gets
  // its column's name (data-label), which app.css shows beside the value on a phone. Pages
  // with their own table styles (the dashboards' stylesheet) keep theirs; a table inside
  // data-table="scroll" scrolls sideways instead.
  function cardTables() {
    if (document.querySelector('link[href*="dashboard.css"]')) return;
    document.querySelectorAll(".table-wrap > table").forEach(function (table) {
      if (table.closest('[data-table="scroll"]') || !table.tHead || !table.tHead.rows.length) return;
      var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
      if (heads.some(function (th) { return th.colSpan > 1; })) return;
      var names = heads.map(function (th) { return th.textContent.trim(); });
      Array.prototype.forEach.call(table.tBodies, function (body) {
        Array.prototype.forEach.call(body.rows, function (row) {
          if (row.cells.length !== names.length) return;  // a "nothing here" row
          Array.prototype.forEach.call(row.cells, function (cell, i) {
            if (names[i] && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", names[i]);
          });
        });
      });
      table.classList.add("card-table");
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    // Every htmx request carries the CSRF token from the meta tag.
    var token = document.querySelector('meta[name="csrf-token"]');
    document.body.addEventListener("htmx:configRequest", function (event) {
      if (token) event.detail.headers["X-CSRFToken"] = token.content;
    });
    // <select data-autosubmit> submits its form on change (the language switch).
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    cardTables();
    document.body.addEventListener("htmx:afterSwap", cardTables);
    // <form data-confirm="…"> asks before submitting.
    document.body.addEventListener("submit", function (event) {
      var message = event.target.getAttribute("data-confirm");
      if (message && !window.confirm(message)) event.preventDefault();
    });
  });
})();
