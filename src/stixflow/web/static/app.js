// stixflow UI glue around htmx: the modal dialog, burger menus and error swaps. No build step.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    // 4xx/5xx answers carry a page fragment (form errors, an error box): show them too.
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "[45]..", swap: true, error: true },
    ];
  });

  function modal() { return document.getElementById("modal"); }

  // Anything swapped into the modal body opens the modal.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "modal-body" && target.innerHTML.trim() && !modal().open) {
      modal().showModal();
    }
  });

  // An answer may ask to close the modal (after a successful save, for example).
  document.addEventListener("close-modal", function () {
    if (modal().open) { modal().close(); }
  });

  document.addEventListener("click", function (event) {
    var element = event.target;
    if (!(element instanceof Element)) { return; }
    if (element.closest("[data-close-modal]")) { modal().close(); return; }
    if (element.closest("[data-dismiss]")) { element.closest(".alert").remove(); return; }
    // A click on an item of a burger menu, or anywhere outside one, closes the open menus.
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(element) || element.closest(".menu-items")) { menu.removeAttribute("open"); }
    });
  });

  modal && document.addEventListener("DOMContentLoaded", function () {
    modal().addEventListener("close", function () { document.getElementById("modal-body").innerHTML = ""; });
  });
})();
