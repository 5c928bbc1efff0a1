// Gallery: open details in a lightbox on wide screens (full page on phones or without JS),
// with ← → to move between items and Esc to close.
(function () {
  "use strict";
  var dialog = function () { return document.getElementById("lightbox"); };

  // The address bar follows the lightbox (/gallery/12/ can be shared and opens as a page); Back
  // closes it. Moving between items replaces that entry rather than piling up history.
  function open(url, fromHistory) {
    var box = dialog();
    if (!box || !window.htmx) { window.location.href = url; return; }
    window.htmx.ajax("GET", url, { target: "#lightbox-body", swap: "innerHTML" }).then(function () {
      if (!fromHistory) {
        if (box.open) history.replaceState({ lightbox: url }, "", url);
        else history.pushState({ lightbox: url }, "", url);
      }
      if (!box.open) box.showModal();
    });
  }

  // Leaving the lightbox's history entry must not let htmx restore the grid from its history
  // cache (that would re-render the page and drop ticked items and typed search text). This
  // listener is registered before htmx sets window.onpopstate, so it can stop it.
  var closing = false;
  document.addEventListener("close", function (event) {
    if (event.target !== dialog()) return;
    var body = document.getElementById("lightbox-body");
    if (body) body.innerHTML = "";  // arrow keys must not find the closed item any more
    if (history.state && history.state.lightbox) { closing = true; history.back(); }
  }, true);

  window.addEventListener("popstate", function (event) {
    var box = dialog();
    if (!box) return;
    var url = event.state && event.state.lightbox;
    if (url) { open(url, true); return; }
    if (box.open || closing) {
      event.stopImmediatePropagation();
      closing = false;
      if (box.open) box.close();
    }
  });

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

  function setAll(boxes, checked) {
    Array.prototype.forEach.call(boxes, function (box) {
      if (box.checked === checked) return;
      box.checked = checked;
      box.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }
  function clearSelection() { setAll(document.querySelectorAll("input[form=bulk-form]:checked"), false); }
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-clear-selection]")) clearSelection();
    if (event.target.closest("[data-select-all]")) setAll(document.querySelectorAll("input[form=bulk-form]"), true);
  });

  // Shift-click ticks (or unticks) every tile between the last one clicked and this one.
  var lastBox = null;
  document.addEventListener("click", function (event) {
    var box = event.target.closest && event.target.closest("input[form=bulk-form]");
    if (!box) return;
    if (event.shiftKey && lastBox && lastBox !== box && document.contains(lastBox)) {
      var all = Array.prototype.slice.call(document.querySelectorAll("input[form=bulk-form]"));
      var a = all.indexOf(lastBox), b = all.indexOf(box);
      setAll(all.slice(Math.min(a, b), Math.max(a, b) + 1), box.checked);
    }
    lastBox = box;
  });

  // Bulk actions answer without a reload: deleted tiles leave, the selection clears, the place
  // on the page and the pages already loaded stay.
  document.addEventListener("itemsDeleted", function (event) {
    (event.detail.value || []).forEach(function (pk) {
      var tile = document.querySelector(".tile-item[data-item='" + Number(pk) + "']");
      if (tile) tile.remove();
    });
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful && event.detail.elt.hasAttribute && event.detail.elt.hasAttribute("data-bulk-action")) clearSelection();
  });

  // The search box searches as you type; its "change" on blur must not search a second time.
  document.addEventListener("change", function (event) {
    if (event.target.id === "q") event.stopPropagation();
  }, true);

  document.addEventListener("click", function (event) {  // the × button or the backdrop closes
    var box = dialog();
    if (box && (event.target === box || event.target.closest("[data-lightbox-close]"))) box.close();
  });
})();
