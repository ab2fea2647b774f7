// Pages that show what is happening keep themselves current: the sync history on the status
// page, the sandbox's week grid. A live part carries data-live, an id, data-poll (the URL of
// a digest of what it shows, a few bytes) and data-digest. Every 1.5 s the digest is polled;
// when it changes, the page is fetched again and each live part is swapped for its new
// version, so folds opened, focus and scrolling elsewhere on the page stay as they were.
// A static file because the pages allow no inline script (Content-Security-Policy).
(function () {
  "use strict";
  var INTERVAL_MS = 1500;
  var first = document.querySelector("[data-live][data-poll]");
  if (!first) { return; }
  var seen = first.getAttribute("data-digest");

  function typingInside() {
    var active = document.activeElement;
    return active && active.closest && active.closest("[data-live]") &&
      /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName);
  }

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    document.querySelectorAll("[data-live]").forEach(function (part) {
      var next = fresh.getElementById(part.id);
      if (!next) { return; }
      part.querySelectorAll("details[open]").forEach(function (fold) {
        var same = fold.id && next.querySelector("#" + CSS.escape(fold.id));
        if (same) { same.setAttribute("open", ""); }
      });
      part.replaceWith(next);
    });
    var root = document.querySelector("[data-live][data-poll]");
    if (root) { seen = root.getAttribute("data-digest"); }
  }

  function refresh() {
    return fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html) { swap(html); } });
  }

  function poll() {
    var root = document.querySelector("[data-live][data-poll]");
    fetch(root.getAttribute("data-poll"), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (body && body.digest && body.digest !== seen && !typingInside()) { return refresh(); }
        return null;
      })
      .catch(function () { /* the server restarting: try again on the next tick */ })
      .finally(function () { window.setTimeout(poll, INTERVAL_MS); });
  }
  window.setTimeout(poll, INTERVAL_MS);
}());
