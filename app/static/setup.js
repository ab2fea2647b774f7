// The setup page's small behaviours, kept out of the HTML so that the Content-Security-Policy
// can forbid inline script.
"use strict";

document.querySelectorAll("form[data-confirm]").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    if (!window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
});

var copyButton = document.getElementById("copy-webhook");
if (copyButton) {
  copyButton.addEventListener("click", function () {
    var field = document.getElementById("webhook-url");
    field.select();
    (navigator.clipboard ? navigator.clipboard.writeText(field.value) : Promise.reject())
      .catch(function () { document.execCommand("copy"); })
      .then(function () { copyButton.textContent = copyButton.dataset.done; });
  });
}
