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
})();
