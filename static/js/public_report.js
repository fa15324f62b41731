// Residents' pages: "use my location", the chained block selects, copying the tracking code.
// No inline scripts (Content-Security-Policy); every message comes from data-msg-* attributes,
// translated by the server.
(function () {
  "use strict";

  function resetSelect(select) {
    if (!select) return;
    var placeholder = select.options.length ? select.options[0].cloneNode(true) : null;
    select.innerHTML = "";
    if (placeholder) { placeholder.selected = true; select.appendChild(placeholder); }
  }

  // Fill `select` with the <option>s the server renders for `query` and choose `value`.
  function fillSelect(select, url, query, value) {
    return fetch(url + "?" + query, { credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (options) { select.innerHTML = options; select.value = String(value); });
  }

  function showInSelects(answer, street, community, block) {
    if (!street || !community || !block || !answer.street || !answer.community) return;
    var url = street.getAttribute("hx-get");
    street.value = String(answer.street);
    fillSelect(community, url, "street=" + encodeURIComponent(answer.street), answer.community)
      .then(function () {
        return fillSelect(block, url, "community=" + encodeURIComponent(answer.community), answer.block);
      })
      .catch(function () { resetSelect(community); resetSelect(block); });
  }

  function setupLocate() {
    var button = document.getElementById("locate-button");
    if (!button) return;
    var status = document.getElementById("locate-status");
    var lat = document.getElementById("id_lat");
    var lon = document.getElementById("id_lon");
    var street = document.getElementById("id_street");
    var community = document.getElementById("id_community");
    var block = document.getElementById("id_block");
    var say = function (text, found) {
      status.textContent = text;
      status.classList.toggle("found", !!found);
    };
    if (!("geolocation" in navigator)) return;  // the selects and the address still work
    button.hidden = false;
    button.addEventListener("click", function () {
      say(button.getAttribute("data-msg-finding"));
      navigator.geolocation.getCurrentPosition(function (position) {
        lat.value = position.coords.latitude.toFixed(6);
        lon.value = position.coords.longitude.toFixed(6);
        var url = button.getAttribute("data-locate-url") +
          "?lat=" + encodeURIComponent(lat.value) + "&lon=" + encodeURIComponent(lon.value);
        fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
          .then(function (response) { return response.json(); })
          .then(function (answer) {
            if (answer.found) {
              // The point decides the block: the selects show it (not 请选择), so the resident
              // sees where the report goes and can still change it by hand.
              showInSelects(answer, street, community, block);
              say(answer.label, true);
            } else {
              say(answer.message);
            }
          })
          .catch(function () { say(button.getAttribute("data-msg-denied")); });
      }, function () {
        lat.value = ""; lon.value = "";
        say(button.getAttribute("data-msg-denied"));
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
    if (block) {
      block.addEventListener("change", function () {
        // A block chosen by hand wins over the point (the server does the same).
        if (block.value && status.classList.contains("found")) say("");
      });
    }
  }

  function setupChainedSelects() {
    // htmx fills the next select; a new street also empties the block select below it.
    document.querySelectorAll("select[data-resets]").forEach(function (select) {
      select.addEventListener("change", function () {
        resetSelect(document.getElementById(select.getAttribute("data-resets")));
      });
    });
  }

  function setupCopy() {
    document.querySelectorAll("button[data-copy-target]").forEach(function (button) {
      var target = document.getElementById(button.getAttribute("data-copy-target"));
      if (!target || !navigator.clipboard) return;
      button.hidden = false;
      var label = button.textContent;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(target.textContent.trim()).then(function () {
          button.textContent = button.getAttribute("data-msg-copied");
          setTimeout(function () { button.textContent = label; }, 2000);
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupLocate();
    setupChainedSelects();
    setupCopy();
  });
})();
