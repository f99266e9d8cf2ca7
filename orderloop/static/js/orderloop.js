/* Small behaviours the pages need, without inline scripts (the Content-Security-Policy allows none):
   a <select data-autosubmit> submits its form when changed (the language switch). */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("select[data-autosubmit]") && target.form) {
      target.form.submit();
    }
  });
})();
