// The rooms page's live title preview: the title each room's events get, shown with a
// sample booking as the staff type. The sample's fields at each privacy level come from the
// server (data-samples), so the preview hides exactly what the sync would hide.
"use strict";

(function () {
  var form = document.getElementById("rooms-form");
  if (!form) {
    return;
  }
  var samples = JSON.parse(form.dataset.samples);
  var defaultTitle = form.dataset.defaultTitle;

  function render(template, values) {
    var text = (template || defaultTitle).replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : whole;
    });
    text = text.replace(/\s+/g, " ").replace(/^[ :-]+|[ :-]+$/g, "");
    return text || "Booking " + values.reservation;
  }

  form.querySelectorAll("tr[data-room]").forEach(function (row) {
    var title = row.querySelector("input[name^='title-']");
    var privacy = row.querySelector("select[name^='privacy-']");
    var output = row.querySelector(".preview");
    if (!title || !privacy || !output) {
      return;
    }
    var label = output.querySelector(".sr-only");
    function update() {
      var values = Object.assign({}, samples[privacy.value] || samples.time_only);
      values.room = row.dataset.room;
      output.textContent = "";
      if (label) {
        output.appendChild(label);
      }
      output.appendChild(document.createTextNode(render(title.value, values)));
    }
    title.addEventListener("input", update);
    privacy.addEventListener("change", update);
  });
})();
