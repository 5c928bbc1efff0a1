// Create pages and task cards: active card ids for the poller, elapsed time, MJ final prompt,
// reference count, and the vary-region mask editor. Everything degrades to plain forms.
(function () {
  "use strict";

  // The poller asks only about cards that are still running on this page, each as
  // "id:version" (the version the card shows), so the server sends back exactly the stale ones.
  window.zcheapActiveIds = function () {
    return Array.prototype.map.call(document.querySelectorAll("[data-active-card]"), function (el) {
      return el.getAttribute("data-active-card");
    }).join(",");
  };

  // The card poller (no eval under our CSP): skip a tick while the tab is hidden or nothing on
  // the page is active, otherwise send the active cards as ids=id:version,...
  document.addEventListener("htmx:beforeRequest", function (e) {
    var elt = e.detail.elt;
    if (!elt || !elt.hasAttribute) return;
    if (!elt.hasAttribute("data-card-poller")) return;
    if (window.zcheapActiveIds() === "") { e.preventDefault(); return; }
    // While the tab is hidden, ask every 10 s instead of 2 s (enough to tell "done while away").
    if (document.visibilityState !== "visible" && (hiddenTicks++ % 5) !== 0) e.preventDefault();
  });
  var hiddenTicks = 0;

  // Done while away: a task that finishes while the tab is hidden counts in the page title and,
  // if the person allowed it once, shows a browser notification saying what finished.
  var away = 0, baseTitle = document.title;
  function finishedAway(e) {
    if (document.visibilityState === "visible" || !e.target.querySelectorAll) return;
    var cards = Array.prototype.slice.call(e.target.querySelectorAll("article.card"));
    if (e.target.matches("article.card")) cards.push(e.target);
    cards.forEach(function (card) {
      if (card.hasAttribute("data-active-card") || card.dataset.counted) return;
      card.dataset.counted = "1";
      cameBack(card);
    });
  }
  document.addEventListener("htmx:load", finishedAway);
  function cameBack(card) {
    away += 1;
    document.title = "(" + away + ") " + baseTitle;
    if (window.Notification && Notification.permission === "granted") {
      var what = card.querySelector(".card-kind"), state = card.querySelector(".badge");
      var prompt = card.querySelector(".card-prompt");
      new Notification((what ? what.textContent : "") + " · " + (state ? state.textContent : ""), { body: prompt ? prompt.textContent : "", tag: card.id });
    }
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && away) { away = 0; document.title = baseTitle; }
  });
  document.addEventListener("click", function (e) {
    var ask = e.target.closest("[data-notify-ask]");
    if (!ask || !window.Notification) return;
    Notification.requestPermission().then(function () { ask.hidden = true; });
  });
  function offerNotifications() {
    if (!window.Notification || Notification.permission !== "default") return;
    document.querySelectorAll("[data-notify-ask]").forEach(function (b) { b.hidden = false; });
  }
  document.addEventListener("DOMContentLoaded", offerNotifications);
  document.addEventListener("htmx:configRequest", function (e) {
    if (e.detail.elt && e.detail.elt.hasAttribute && e.detail.elt.hasAttribute("data-card-poller")) e.detail.parameters.ids = window.zcheapActiveIds();
  });

  // "from task #N" opens the picture it was made from; when that card is on this page, go there.
  document.addEventListener("click", function (e) {
    var link = e.target.closest("[data-card-link]");
    if (!link || e.ctrlKey || e.metaKey || e.shiftKey) return;
    var card = document.getElementById(link.getAttribute("data-card-link"));
    if (!card) return;
    e.preventDefault();
    card.scrollIntoView({ behavior: "smooth", block: "start" });
    card.classList.add("flash");
    setTimeout(function () { card.classList.remove("flash"); }, 1500);
  });

  // Ctrl+Enter (⌘+Enter on a Mac) in a create form creates, like pressing the button.
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || !(e.ctrlKey || e.metaKey)) return;
    var form = e.target.closest && e.target.closest(".create-form");
    if (!form) return;
    e.preventDefault();
    var button = form.querySelector("button[type=submit]:not([disabled])");
    if (button) form.requestSubmit(button);
  });

  // Drag & drop or paste pictures into a reference area: they join the upload field's files.
  function addImages(form, files) {
    var input = form && form.querySelector("input[type=file][name=reference_files]");
    var images = Array.prototype.filter.call(files || [], function (f) { return f.type.indexOf("image/") === 0; });
    if (!input || !images.length || !window.DataTransfer) return false;
    var all = new DataTransfer();
    Array.prototype.forEach.call(input.files, function (f) { all.items.add(f); });
    images.forEach(function (f) { all.items.add(f); });
    input.files = all.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  }
  document.addEventListener("dragover", function (e) {
    var area = e.target.closest && e.target.closest(".create-form .references");
    if (!area) return;
    e.preventDefault();
    area.classList.add("drop-here");
  });
  document.addEventListener("dragleave", function (e) {
    var area = e.target.closest && e.target.closest(".references");
    if (area && !area.contains(e.relatedTarget)) area.classList.remove("drop-here");
  });
  document.addEventListener("drop", function (e) {
    var area = e.target.closest && e.target.closest(".create-form .references");
    if (!area) return;
    e.preventDefault();
    area.classList.remove("drop-here");
    addImages(area.closest("form"), e.dataTransfer && e.dataTransfer.files);
  });
  document.addEventListener("paste", function (e) {
    var form = e.target.closest && e.target.closest(".create-form");
    if (!form || !e.clipboardData) return;
    var files = Array.prototype.map.call(e.clipboardData.items || [], function (item) { return item.kind === "file" ? item.getAsFile() : null; }).filter(Boolean);
    if (addImages(form, files)) e.preventDefault();
  });

  // Gallery picker: a ticked picture moves to the chosen row, so searching or paging the
  // results never loses it; Enter in the picker's search box searches, it does not create.
  document.addEventListener("change", function (e) {
    var box = e.target;
    if (box.name !== "reference_items" || !box.checked || !box.closest("[data-picker-results]")) return;
    var chosen = box.closest(".picker").querySelector("[data-picker-chosen]");
    if (chosen) chosen.appendChild(box.closest("label"));
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && e.target.matches && e.target.matches("[data-picker-search]")) e.preventDefault();
  });

  // History filters agree with each other: a person implies "Whole team", "Mine" clears the person.
  document.addEventListener("change", function (e) {
    var form = e.target.closest("[data-history-filters]");
    if (!form) return;
    if (e.target.name === "member" && e.target.value) {
      var team = form.querySelector("input[name=scope][value=team]");
      if (team) team.checked = true;
    }
    if (e.target.name === "scope" && e.target.value === "mine" && form.elements.member) form.elements.member.value = "";
  }, true);

  // Elapsed time ticks locally; the server sends the real state with every change.
  // It counts on the server's clock (the offset is taken when the card arrives) and rounds down
  // like the server, so a card re-rendered on a state change never shows a smaller number.
  var shownElapsed = {};
  function tickElapsed() {
    var now = Date.now() / 1000;
    document.querySelectorAll("[data-elapsed-from]").forEach(function (el) {
      if (!el.dataset.offset) el.dataset.offset = String(Number(el.getAttribute("data-server-now") || now) - now);
      var card = el.closest("[id]");
      var key = card ? card.id : "";
      var s = Math.max(0, Math.floor(now + Number(el.dataset.offset) - Number(el.getAttribute("data-elapsed-from"))));
      if (key) { s = Math.max(s, shownElapsed[key] || 0); shownElapsed[key] = s; }
      var tpl = s < 60 ? el.getAttribute("data-seconds") || "{s} s" : el.getAttribute("data-minutes") || "{m} min {s} s";
      el.textContent = tpl.replace("{m}", Math.floor(s / 60)).replace("{s}", s < 60 ? s : s % 60);
    });
  }
  setInterval(tickElapsed, 1000);
  document.addEventListener("htmx:load", tickElapsed);

  function finalPrompt(form) {
    var get = function (name) { var el = form.elements[name]; return el ? String(el.value || "").trim() : ""; };
    var base = get("prompt");
    var typed = function (re) { return re.test(base); };
    var parts = [base];
    if (get("ar") && !typed(/--(ar|aspect)\b/)) parts.push("--ar " + get("ar"));
    var v = get("version");
    if (v && !typed(/--(v|version|niji)\b/)) parts.push(v.indexOf("niji") === 0 ? "--" + v : "--v " + v);
    if (get("stylize") && !typed(/--(s|stylize)\b/)) parts.push("--stylize " + get("stylize"));
    if (get("chaos") && !typed(/--(c|chaos)\b/)) parts.push("--chaos " + get("chaos"));
    if (get("no") && !typed(/--no\b/)) parts.push("--no " + get("no"));
    if (get("seed") && !typed(/--seed\b/)) parts.push("--seed " + get("seed"));
    if (get("speed") && !typed(/--(fast|relax|turbo|draft)\b/)) parts.push("--" + get("speed"));
    return parts.join(" ").trim();
  }

  // Options that the chosen model does not offer are hidden (the server refuses them anyway).
  function fitOptions(form) {
    var checked = form.querySelector("input[name=model]:checked, select[name=model]");
    if (!checked) return;
    form.querySelectorAll("select[data-depends-on=model]").forEach(function (select) {
      Array.prototype.forEach.call(select.options, function (option) {
        var models = option.getAttribute("data-models");
        var off = models !== null && (" " + models + " ").indexOf(" " + checked.value + " ") < 0;
        option.hidden = off;
        option.disabled = off;
      });
      var current = select.options[select.selectedIndex];
      if (current && current.disabled) {
        // The nearest allowed choice below the one made (1080p becomes 720p), else the first.
        var pick = null;
        for (var i = select.selectedIndex - 1; i >= 0 && !pick; i--) {
          if (!select.options[i].disabled) pick = select.options[i];
        }
        pick = pick || Array.prototype.find.call(select.options, function (o) { return !o.disabled; });
        if (pick) select.value = pick.value;
      }
    });
  }

  // Video first/last frame mode: the hint shows, and the chosen pictures say which frame they are
  // (uploads first, then gallery pictures in the order ticked, as the server sends them).
  function labelFrames(form) {
    var hint = form.querySelector("[data-frame-hint]");
    var mode = form.querySelector("input[name=role_mode]:checked");
    if (!hint || !mode) return;
    var frames = mode.value === "frame";
    hint.hidden = !frames;
    form.querySelectorAll("[data-frame-slot]").forEach(function (el) { el.remove(); });
    if (!frames) return;
    var chosen = form.querySelectorAll("input[name=reference_uploads]:checked, input[name=reference_items]:checked");
    var names = [hint.getAttribute("data-first"), hint.getAttribute("data-last")];
    Array.prototype.slice.call(chosen, 0, 2).forEach(function (box, i) {
      var tag = document.createElement("span");
      tag.className = "frame-slot";
      tag.setAttribute("data-frame-slot", "");
      tag.textContent = names[i];
      box.closest("label").appendChild(tag);
    });
  }

  function refresh(form) {
    fitOptions(form);
    labelFrames(form);
    var out = form.querySelector("[data-mj-final]");
    if (out) out.textContent = finalPrompt(form);
    var count = form.querySelector("[data-ref-count]");
    if (count) {
      var files = form.elements.reference_files ? form.elements.reference_files.files.length : 0;
      var picked = form.querySelectorAll("input[name=reference_items]:checked, input[name=reference_assets]:checked, input[name=reference_uploads]:checked").length;
      var urls = form.elements.reference_urls ? form.elements.reference_urls.value.split("\n").filter(function (l) { return l.trim(); }).length : 0;
      var n = files + picked + urls;
      var min = Number(count.getAttribute("data-min") || 0);
      var template = n && n < min ? count.getAttribute("data-too-few") : count.getAttribute("data-template");
      count.textContent = n ? template.replace("{n}", n) : count.getAttribute("data-none");
    }
  }

  document.addEventListener("input", function (e) { var f = e.target.closest(".create-form"); if (f) refresh(f); });
  document.addEventListener("change", function (e) { var f = e.target.closest(".create-form"); if (f) refresh(f); });
  function init(root) {
    var scope = root || document;
    if (scope.matches && scope.matches(".create-form")) refresh(scope);
    scope.querySelectorAll(".create-form").forEach(refresh);
    scope.querySelectorAll("[data-mask-editor]").forEach(maskEditor);
  }
  // MJ actions: the picture picked in the menu is also the one custom zoom and remix use.
  document.addEventListener("change", function (e) {
    if (!e.target.matches("[data-mj-pick]")) return;
    var box = e.target.closest(".mj-actions");
    if (box) box.querySelectorAll("select[data-mj-index]").forEach(function (s) { s.value = e.target.value; });
  });
  document.addEventListener("DOMContentLoaded", function () { init(); });
  // htmx:load fires for each piece of new content (an outerHTML swap replaces the old target).
  document.addEventListener("htmx:load", function (e) { init(e.target); });

  function maskEditor(box) {
    if (box.dataset.ready) return;
    box.dataset.ready = "1";
    var img = box.querySelector("[data-mask-image]");
    var canvas = box.querySelector("[data-mask-canvas]");
    var form = box.closest("form");
    var brush = form.querySelector("[data-mask-brush]");
    var ctx = canvas.getContext("2d");
    var drawing = false, painted = false;
    function size() {
      canvas.width = img.naturalWidth || img.width; canvas.height = img.naturalHeight || img.height;
      if (canvas.height) box.style.setProperty("--mask-ratio", String(canvas.width / canvas.height));
      ctx.fillStyle = "#000"; ctx.fillRect(0, 0, canvas.width, canvas.height); painted = false;
    }
    if (img.complete) size(); else img.addEventListener("load", size);
    function point(e) {
      var r = canvas.getBoundingClientRect();
      return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
    }
    function paint(e) {
      if (!drawing) return;
      var p = point(e), radius = Number(brush.value) * canvas.width / canvas.getBoundingClientRect().width / 2;
      ctx.fillStyle = "#fff"; ctx.beginPath(); ctx.arc(p[0], p[1], radius, 0, Math.PI * 2); ctx.fill(); painted = true;
    }
    // Undo: a snapshot before each stroke (the last 20).
    var strokes = [];
    var undo = form.querySelector("[data-mask-undo]");
    function remember() {
      strokes.push({ data: ctx.getImageData(0, 0, canvas.width, canvas.height), painted: painted });
      if (strokes.length > 20) strokes.shift();
      if (undo) undo.disabled = false;
    }
    if (undo) {
      undo.disabled = true;
      undo.addEventListener("click", function () {
        var last = strokes.pop();
        if (last) { ctx.putImageData(last.data, 0, 0); painted = last.painted; }
        undo.disabled = !strokes.length;
      });
    }
    canvas.addEventListener("pointerdown", function (e) { remember(); drawing = true; canvas.setPointerCapture(e.pointerId); paint(e); });
    canvas.addEventListener("pointermove", paint);
    canvas.addEventListener("pointerup", function () { drawing = false; });
    form.querySelector("[data-mask-clear]").addEventListener("click", size);
    form.addEventListener("submit", function (e) {
      var error = form.querySelector("[data-mask-error]");
      if (!painted) {  // nothing painted: stay in the editor and say what to do
        e.preventDefault();
        if (error) { error.hidden = false; error.focus(); }
        return;
      }
      if (error) error.hidden = true;
      form.querySelector("[data-mask-output]").value = canvas.toDataURL("image/png");
    });
  }
})();
