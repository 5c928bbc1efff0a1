// Asset uploads show progress (XMLHttpRequest); without JavaScript the form posts normally.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-asset-upload]");
    if (!form || !window.XMLHttpRequest || !form.querySelector("input[type=file]").files.length) return;
    event.preventDefault();
    var box = form.querySelector("[data-upload-progress]");
    var bar = box.querySelector("progress"), label = box.querySelector("[data-upload-label]");
    box.hidden = false;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { bar.value = Math.round(e.loaded * 100 / e.total); label.textContent = bar.value + "%"; }
    });
    xhr.addEventListener("load", function () {
      window.location.href = xhr.getResponseHeader("X-Location") || window.location.href;
    });
    xhr.addEventListener("error", function () { form.submit(); });
    xhr.send(new FormData(form));
  });
})();
