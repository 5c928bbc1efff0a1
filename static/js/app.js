// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  // Selects marked data-autosubmit-field submit their form on change (team, language, role).
  document.addEventListener("change", function (event) {
    var field = event.target.closest("[data-autosubmit-field]");
    if (field && field.form) field.form.requestSubmit ? field.form.requestSubmit() : field.form.submit();
  });

  // Forms marked data-confirm ask first (delete, remove member, cancel tracking...). A "no"
  // stops the event here, in the capture phase, so htmx's own submit handler never sees it.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // Pollers marked data-poll-visible skip their tick while the tab is hidden.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.hasAttribute && elt.hasAttribute("data-poll-visible") && document.visibilityState !== "visible") event.preventDefault();
  });

  // Flash messages can be dismissed.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dismiss]");
    if (button) button.parentElement.remove();
    var toggle = event.target.closest("[data-nav-toggle]");
    if (toggle) {
      var nav = document.getElementById(toggle.getAttribute("aria-controls"));
      var open = toggle.getAttribute("aria-expanded") === "true";
      toggle.setAttribute("aria-expanded", String(!open));
      if (nav) nav.classList.toggle("open", !open);
      var header = toggle.closest(".site-header");
      if (header) header.classList.toggle("menu-open", !open);  // phones: team, language, me
    }
    var copyFrom = event.target.closest("[data-copy-from]");
    if (copyFrom && copyFrom.previousElementSibling && navigator.clipboard) {
      var field = copyFrom.previousElementSibling;
      navigator.clipboard.writeText(field.value).then(function () {
        var label = copyFrom.textContent;
        copyFrom.textContent = copyFrom.getAttribute("data-copied-text") || label;
        setTimeout(function () { copyFrom.textContent = label; }, 1500);
      });
    }
    var copy = event.target.closest("[data-copy]");
    if (copy && navigator.clipboard) {
      navigator.clipboard.writeText(copy.getAttribute("data-copy"));
      copy.classList.add("copied");
      setTimeout(function () { copy.classList.remove("copied"); }, 1200);
    }
  });

  // The phone menu and the user menu close on a tap elsewhere, on Esc, and when scrolling away.
  function closeMenus(except) {
    document.querySelectorAll("[data-nav-toggle][aria-expanded=true]").forEach(function (toggle) {
      var nav = document.getElementById(toggle.getAttribute("aria-controls"));
      var header = toggle.closest(".site-header");
      var tools = header && header.querySelector(".bar-tools");
      if (except && (toggle.contains(except) || (nav && nav.contains(except)) || (tools && tools.contains(except)))) return;
      toggle.setAttribute("aria-expanded", "false");
      if (nav) nav.classList.remove("open");
      if (header) header.classList.remove("menu-open");
    });
    document.querySelectorAll("details.user-menu[open]").forEach(function (menu) {
      if (!except || !menu.contains(except)) menu.removeAttribute("open");
    });
  }
  document.addEventListener("click", function (event) { closeMenus(event.target); }, true);
  document.addEventListener("keydown", function (event) { if (event.key === "Escape") closeMenus(null); });
  var scrolledFrom = 0;
  window.addEventListener("scroll", function () {
    if (!document.querySelector(".site-nav.open")) { scrolledFrom = window.scrollY; return; }
    if (Math.abs(window.scrollY - scrolledFrom) > 120) closeMenus(null);
  }, { passive: true });

  // htmx: show server error pages as a message instead of silently doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var box = document.getElementById("messages");
    if (!box) return;
    var div = document.createElement("div");
    div.className = "message message-error";
    div.setAttribute("role", "alert");
    var status = event.detail.xhr ? event.detail.xhr.status : "";
    div.textContent = (document.body.dataset.errorText || "Something went wrong") + (status ? " (" + status + ")" : "");
    box.appendChild(div);
  });

  onReady(function () {
    document.querySelectorAll(".copy-field").forEach(function (input) {
      input.addEventListener("focus", function () { input.select(); });
    });
  });
})();
