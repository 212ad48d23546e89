// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  function csrf() {
    var field = document.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  // Upload: drag and drop onto the file field's drop zone.
  document.querySelectorAll("[data-dropzone]").forEach(function (zone) {
    var input = zone.querySelector("input[type=file]");
    if (!input) return;
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) {
      e.preventDefault();
      if (e.dataTransfer && e.dataTransfer.files.length) {
        input.files = e.dataTransfer.files;
        var list = zone.querySelector("[data-file-list]");
        if (list) list.textContent = Array.prototype.map.call(input.files, function (f) { return f.name; }).join(", ");
      }
    });
  });

  // Ingest progress: poll the job's JSON instead of reloading the page.
  var job = document.querySelector("[data-job-url]");
  if (job) {
    var url = job.getAttribute("data-job-url");
    var tick = function () {
      fetch(url, { headers: { "accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) {
          if (!j) return;
          var set = function (name, value) {
            var el = job.querySelector("[data-" + name + "]");
            if (el) el.textContent = value;
          };
          set("files-done", j.files_done + " / " + j.files_total);
          set("bytes-done", j.bytes_done + " / " + j.bytes_total);
          var bar = job.querySelector("progress");
          if (bar && j.bytes_total > 0) { bar.max = j.bytes_total; bar.value = j.bytes_done; }
          if (j.finished_at) { window.location.reload(); } else { window.setTimeout(tick, 1000); }
        })
        .catch(function () { window.setTimeout(tick, 3000); });
    };
    window.setTimeout(tick, 1000);
  }

  // Search: titles as you type, from the suggestion endpoint.
  var search = document.querySelector("input[data-suggest]");
  var options = document.getElementById("suggestions");
  if (search && options) {
    var timer = null;
    search.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        if (search.value.length < 2) return;
        fetch("/api/v1/search/suggest?q=" + encodeURIComponent(search.value), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (titles) {
            options.innerHTML = "";
            titles.forEach(function (t) { var o = document.createElement("option"); o.value = t; options.appendChild(o); });
          });
      }, 200);
    });
  }
  void csrf;
})();
