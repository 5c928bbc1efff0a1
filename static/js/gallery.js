// Gallery: open details in a lightbox on wide screens (full page on phones or without JS),
// with ← → to move between items and Esc to close.
(function () {
  "use strict";
  var dialog = function () { return document.getElementById("lightbox"); };

  function open(url) {
    var box = dialog();
    if (!box || !window.htmx) { window.location.href = url; return; }
    window.htmx.ajax("GET", url, { target: "#lightbox-body", swap: "innerHTML" }).then(function () {
      if (!box.open) box.showModal();
    });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-lightbox], #lightbox a[data-nav]");
    if (!link || window.matchMedia("(max-width: 700px)").matches || event.metaKey || event.ctrlKey) return;
    event.preventDefault();
    open(link.getAttribute("href"));
  });

  document.addEventListener("keydown", function (event) {
    var box = dialog();
    var detail = box && box.open ? box.querySelector("[data-detail]") : document.querySelector("[data-detail]");
    if (!detail || /INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName)) return;
    var target = event.key === "ArrowLeft" ? detail.dataset.newer : event.key === "ArrowRight" ? detail.dataset.older : "";
    if (!target) return;
    event.preventDefault();
    if (box && box.open) open(target); else window.location.href = target;
  });

  // The selection bar counts what is ticked (the bar itself appears with CSS :has()).
  document.addEventListener("change", function (event) {
    if (event.target.getAttribute("form") !== "bulk-form") return;
    var label = document.querySelector("[data-selected-count]");
    var n = document.querySelectorAll("input[form=bulk-form]:checked").length;
    if (label) label.textContent = label.getAttribute("data-template").replace("{n}", n);
  });

  // The search box searches as you type; its "change" on blur must not search a second time.
  document.addEventListener("change", function (event) {
    if (event.target.id === "q") event.stopPropagation();
  }, true);

  document.addEventListener("click", function (event) {  // click on the backdrop closes
    var box = dialog();
    if (box && event.target === box) box.close();
  });
})();
