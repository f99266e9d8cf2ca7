// 联系人: "添加联系人" adds an empty row to the customer form (without JavaScript the form offers two empty rows).
(function () {
  var button = document.getElementById("add-contact");
  var body = document.getElementById("contact-rows");
  if (!button || !body) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    var rows = body.querySelectorAll("tr.contact-row");
    var last = rows[rows.length - 1];
    var next = 0;
    rows.forEach(function (row) { next = Math.max(next, Number(row.dataset.index) + 1); });
    var row = last.cloneNode(true);
    row.dataset.index = String(next);
    row.querySelectorAll("input").forEach(function (input) {
      if (input.name !== "primary") { input.name = input.name.replace(/^contacts-\d+-/, "contacts-" + next + "-"); }
      if (input.type === "radio") { input.value = String(next); input.checked = false; }
      else if (input.type === "checkbox") { input.checked = false; }
      else { input.value = ""; }
    });
    row.querySelectorAll(".field-error").forEach(function (e) { e.remove(); });
    body.appendChild(row);
    row.querySelector("input").focus();
  });
})();
