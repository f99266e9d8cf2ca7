/* Small behaviours the pages need, without inline scripts (the Content-Security-Policy allows none):
   - a <select data-autosubmit> submits its form when changed (the language switch);
   - a <form data-confirm="…"> asks before an action that cannot be undone, and sends nothing on 取消;
   - a <form data-busy="…"> or <a data-busy="…"> (imports, uploads, exports, reports that take time) shows
     that it is working, and a form is not sent twice by a second click;
   - a table's cells without a data-label get their column's heading as one, which a phone shows beside the
     value when the table is laid out as cards (the lists' own templates render it on the server). */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("select[data-autosubmit]") && target.form) {
      target.form.submit();
    }
  });

  function showBusy(element, text) {
    var note = element.querySelector(".busy-note") || document.createElement("span");
    note.className = "busy-note";
    note.setAttribute("role", "status");
    note.textContent = text;
    if (!note.parentNode) {
      element.appendChild(note);
    }
    return note;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    var busy = form.getAttribute("data-busy");
    if (busy) {
      if (form.getAttribute("aria-busy") === "true") {
        event.preventDefault();  // already on its way
        return;
      }
      form.setAttribute("aria-busy", "true");
      showBusy(form, busy);
    }
  });

  document.addEventListener("click", function (event) {
    var link = event.target && event.target.closest ? event.target.closest("a[data-busy]") : null;
    if (!link) {
      return;
    }
    var note = showBusy(link.parentNode, link.getAttribute("data-busy"));
    // A download does not leave the page, so the note goes after a while.
    window.setTimeout(function () { note.remove(); }, 15000);
  });

  function labelCells(root) {
    var tables = root.querySelectorAll("table.grid");
    Array.prototype.forEach.call(tables, function (table) {
      var headRow = table.tHead && table.tHead.rows[0];
      if (!headRow) {
        return;
      }
      var headings = [];
      Array.prototype.forEach.call(headRow.cells, function (th) {
        for (var i = 0; i < (th.colSpan || 1); i += 1) {
          headings.push(th.textContent.replace(/[▲▼]/g, "").trim());
        }
      });
      Array.prototype.forEach.call(table.tBodies, function (body) {
        Array.prototype.forEach.call(body.rows, function (row) {
          var column = 0;
          Array.prototype.forEach.call(row.cells, function (cell) {
            if (!cell.hasAttribute("data-label") && (cell.colSpan || 1) === 1) {
              cell.setAttribute("data-label", headings[column] || "");
            }
            column += cell.colSpan || 1;
          });
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { labelCells(document); });
  document.addEventListener("htmx:load", function () { labelCells(document); });
})();
