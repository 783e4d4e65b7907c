// The broadcasts pages without a reload: counts refreshed every few seconds, and the composer's
// preview redrawn as one types. Every page works without this file (CSP: no inline script).
(function () {
  "use strict";
  var me = document.currentScript;
  var countsUrl = me && me.getAttribute("data-counts");
  var ids = [];
  document.querySelectorAll("[data-live]").forEach(function (el) {
    var id = el.getAttribute("data-b");
    if (ids.indexOf(id) < 0) ids.push(id);
  });

  function show(data) {
    Object.keys(data).forEach(function (id) {
      var row = data[id];
      document.querySelectorAll('[data-b="' + id + '"]').forEach(function (box) {
        if (box.hasAttribute("data-gone-when-sent") && row.recipients > 0) box.hidden = true;
        box.querySelectorAll("[data-n]").forEach(function (cell) {
          var key = cell.getAttribute("data-n");
          if (key in row && cell.textContent !== String(row[key])) cell.textContent = row[key];
        });
      });
    });
  }

  function refresh() {
    // A tab in the background costs the organiser's data plan nothing.
    if (document.hidden) return setTimeout(refresh, 5000);
    var query = ids.map(function (id) { return "id=" + encodeURIComponent(id); }).join("&");
    fetch(countsUrl + "?" + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) show(data); })
      .catch(function () { /* signed out or offline: the counts stay as they were */ })
      .then(function () { setTimeout(refresh, 5000); });
  }
  if (countsUrl && ids.length) setTimeout(refresh, 3000);

  // No second click while the next page loads: a courtesy, the server's form key is the guarantee.
  // Disabled after the event, or the clicked button's action=save would not be sent.
  document.querySelectorAll("form[data-once]").forEach(function (once) {
    once.addEventListener("submit", function (event) {
      if (once.getAttribute("data-sent")) { event.preventDefault(); return; }
      once.setAttribute("data-sent", "1");
      setTimeout(function () {
        once.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  });
  // Back to a page the browser kept: its forms work again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sent]").forEach(function (sent) {
      sent.removeAttribute("data-sent");
      sent.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
    });
  });

  var form = document.getElementById("composer");
  if (!form) return;
  var box = document.getElementById("preview");
  var url = form.getAttribute("data-preview");
  var timer = null;
  var asked = 0;

  function kind() {
    var checked = form.querySelector("input[name=kind]:checked");
    var value = checked ? checked.value : "notice";
    form.querySelectorAll(".for-notice").forEach(function (el) { el.hidden = value !== "notice"; });
    form.querySelectorAll(".for-announcement").forEach(function (el) { el.hidden = value !== "announcement"; });
  }

  function update() {
    var mine = ++asked;
    fetch(url, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null && mine === asked) box.innerHTML = html; })
      .catch(function () { /* the Aperçu button still works */ });
  }

  function later() {
    kind();
    clearTimeout(timer);
    timer = setTimeout(update, 500);
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  kind();
})();
