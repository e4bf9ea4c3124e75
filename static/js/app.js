/* Behaviours of every page, wired here rather than in inline attributes (the Content-Security-Policy
   allows scripts from this site's files only). A <select data-submit-on-change> sends its form as
   soon as it changes (the language selector); without JavaScript the form keeps its button. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-submit-on-change") && target.form) {
      target.form.submit();
    }
  });

  // The menu's groups are <details>: they open and close without script. With it, one group is
  // open at a time, Escape closes the open one (the focus returns to its name) and a click
  // elsewhere closes it.
  function groups() {
    return Array.prototype.slice.call(document.querySelectorAll("details.menu-group"));
  }
  document.addEventListener(
    "toggle",
    function (event) {
      var opened = event.target;
      if (!(opened instanceof HTMLDetailsElement) || !opened.classList.contains("menu-group") || !opened.open) return;
      groups().forEach(function (other) {
        if (other !== opened) other.open = false;
      });
    },
    true
  );
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.activeElement && document.activeElement.closest("details.menu-group[open]");
    if (open) {
      open.open = false;
      open.querySelector("summary").focus();
    }
  });
  document.addEventListener("click", function (event) {
    groups().forEach(function (group) {
      if (group.open && !group.contains(event.target)) group.open = false;
    });
  });
})();

/* A checkbox with data-select-all="NAME" ticks or clears every checkbox named NAME in its form
   (the review queue's "select all"); it shows as mixed when only some are ticked. */
(function () {
  "use strict";
  function boxes(master) {
    var name = master.getAttribute("data-select-all");
    return master.form ? master.form.querySelectorAll('input[type="checkbox"][name="' + name + '"]') : [];
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLInputElement) || !target.form) {
      return;
    }
    if (target.hasAttribute("data-select-all")) {
      boxes(target).forEach(function (box) { box.checked = target.checked; });
      target.indeterminate = false;
      return;
    }
    var master = target.form.querySelector('input[data-select-all="' + target.name + '"]');
    if (master) {
      var all = boxes(master), ticked = 0;
      all.forEach(function (box) { if (box.checked) { ticked += 1; } });
      master.checked = ticked === all.length && ticked > 0;
      master.indeterminate = ticked > 0 && ticked < all.length;
    }
  });
})();
