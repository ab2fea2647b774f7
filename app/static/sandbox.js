// The sandbox calendar view reloads itself when the sandbox's events change, so that a
// booking is seen to appear, move and disappear. It polls a digest of the events (a few
// bytes) and reloads only on a change; a static file because the pages allow no inline script.
(function () {
  "use strict";
  var root = document.getElementById("sandbox-calendar");
  if (!root) { return; }
  var seen = root.getAttribute("data-digest");
  function poll() {
    fetch(root.getAttribute("data-poll"), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (body && body.digest && body.digest !== seen) { window.location.reload(); }
      })
      .catch(function () { /* the dev server restarting: try again on the next tick */ })
      .finally(function () { window.setTimeout(poll, 1500); });
  }
  window.setTimeout(poll, 1500);
}());
