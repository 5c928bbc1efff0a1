// Batch mode on the create forms: Enter in a batch field must not create a single task (the
// form's default button); it counts the batch instead.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.ctrlKey || event.metaKey) return;
    var field = event.target;
    if (!field.closest || !field.closest("#batch-tools") || field.tagName !== "INPUT") return;
    event.preventDefault();
    var count = document.querySelector("#batch-tools [formaction$='/batches/check/']");
    if (count) count.click();
  });
})();
