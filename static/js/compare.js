// Compare: zoom and drag move every picture together (desktop); phones swipe between panes
// (CSS scroll snapping, no script). Styles are set through the CSSOM, which the CSP allows.
(function () {
  "use strict";
  function setup() {
    var strip = document.querySelector("[data-compare]");
    if (!strip) return;
    var images = Array.prototype.slice.call(strip.querySelectorAll("[data-compare-img]"));
    var state = { zoom: 1, x: 0, y: 0 };
    function apply() {
      images.forEach(function (img) {
        img.style.transform =
          "translate(" + state.x + "px, " + state.y + "px) scale(" + state.zoom + ")";
      });
      strip.classList.toggle("is-zoomed", state.zoom > 1);
    }
    function zoomBy(factor) {
      state.zoom = Math.min(8, Math.max(1, state.zoom * factor));
      if (state.zoom === 1) { state.x = 0; state.y = 0; }
      apply();
    }
    document.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var how = button.getAttribute("data-zoom");
        if (how === "in") zoomBy(1.5);
        else if (how === "out") zoomBy(1 / 1.5);
        else { state = { zoom: 1, x: 0, y: 0 }; apply(); }
      });
    });
    strip.addEventListener("wheel", function (event) {
      if (!event.target.closest("[data-compare-view]")) return;
      if (window.matchMedia("(max-width: 700px)").matches) return;
      event.preventDefault();
      zoomBy(event.deltaY < 0 ? 1.2 : 1 / 1.2);
    }, { passive: false });
    var drag = null;
    strip.addEventListener("pointerdown", function (event) {
      if (state.zoom === 1 || !event.target.closest("[data-compare-view]")) return;
      drag = { x: event.clientX - state.x, y: event.clientY - state.y };
      event.preventDefault();
    });
    window.addEventListener("pointermove", function (event) {
      if (!drag) return;
      state.x = event.clientX - drag.x;
      state.y = event.clientY - drag.y;
      apply();
    });
    window.addEventListener("pointerup", function () { drag = null; });
    strip.setAttribute("data-compare-ready", "");
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
