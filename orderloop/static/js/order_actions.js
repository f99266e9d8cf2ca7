/* The order page: an action named at the top (#top-actions) opens its form below and puts the cursor in it.
   Without this the link still leads to the form, which opens with a click on its name. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target && event.target.closest ? event.target.closest("a[data-open-action]") : null;
    if (!link) {
      return;
    }
    var details = document.getElementById(link.getAttribute("data-open-action"));
    if (!details) {
      return;
    }
    event.preventDefault();
    details.open = true;
    details.scrollIntoView({block: "start"});
    var field = details.querySelector("textarea, input:not([type=hidden]), select");
    if (field) {
      field.focus({preventScroll: true});
    }
  });
})();
