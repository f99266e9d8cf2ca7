/* Order intake (录入订单), faster than the spreadsheet. The page works without this file (a customer list, a few
   line rows, 添加一行 by the server); with it:
   - the customer and each line's product are searched as one types (name, code, phone, model, pinyin initials),
     the results chosen with the arrow keys and Enter or by a click; the <select> the server reads stays the
     field, hidden, and is set to the choice;
   - choosing a customer fills 联系人, 联系方式, 交付地址 and 付款方式 where nothing was typed yet; choosing a product
     fills 单价 with the list price unless a price was typed;
   - 添加一行 (or Enter in the last row) adds a row, 删除 removes one; each line's amount, the total and the total
     in capitals follow as one types (the server recomputes them on submit);
   - after a refused submit, the focus goes to the first field in error. */
(function () {
  "use strict";
  var form = document.getElementById("intake-form");
  if (!form) {
    return;
  }
  var body = document.querySelector("#intake-lines tbody");
  var template = document.getElementById("intake-line-template");
  var nextIndex = body.querySelectorAll("tr[data-line]").length;
  var comboCount = 0;

  function fire(element) {
    element.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // --- search as one types ------------------------------------------------------------------------------------

  function enhance(select, onChoose) {
    var kind = select.getAttribute("data-search");
    var url = form.getAttribute(kind === "customer" ? "data-customers" : "data-products");
    var id = "combo-" + (++comboCount);
    var wrapper = document.createElement("span");
    wrapper.className = "combo";
    var input = document.createElement("input");
    input.type = "text";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id);
    input.setAttribute("autocomplete", "off");
    input.placeholder = select.getAttribute("data-placeholder") || "";
    ["id", "aria-label", "aria-invalid", "required"].forEach(function (name) {
      if (select.hasAttribute(name)) {
        input.setAttribute(name, select.getAttribute(name));
        select.removeAttribute(name);
      }
    });
    input.required = false;  // the server says what is missing, in the banner
    var list = document.createElement("ul");
    list.setAttribute("role", "listbox");
    list.id = id;
    list.hidden = true;
    wrapper.appendChild(input);
    wrapper.appendChild(list);
    select.parentNode.insertBefore(wrapper, select);
    select.hidden = true;
    select.setAttribute("aria-hidden", "true");
    select.tabIndex = -1;
    var chosen = select.options[select.selectedIndex];
    input.value = chosen && chosen.value ? (chosen.getAttribute("data-name") || chosen.textContent) : "";
    var results = [];
    var active = -1;
    var timer = null;
    var asked = 0;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function mark(index) {
      active = index;
      Array.prototype.forEach.call(list.querySelectorAll("[role=option]"), function (item, i) {
        item.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", id + "-" + index);
        list.children[index].scrollIntoView({ block: "nearest" });
      }
    }

    function show(found) {
      results = found;
      list.textContent = "";
      if (!found.length) {
        var none = document.createElement("li");
        none.className = "combo-none";
        none.textContent = form.getAttribute("data-none");
        list.appendChild(none);
      }
      found.forEach(function (result, i) {
        var item = document.createElement("li");
        item.setAttribute("role", "option");
        item.id = id + "-" + i;
        item.setAttribute("aria-selected", "false");
        item.textContent = result.name;
        if (result.detail) {
          var detail = document.createElement("small");
          detail.textContent = " " + result.detail;
          item.appendChild(detail);
        }
        item.addEventListener("mousedown", function (event) {
          event.preventDefault();  // the input keeps the focus
          choose(result);
        });
        list.appendChild(item);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      mark(found.length ? 0 : -1);
    }

    function search() {
      var text = input.value.trim();
      var mine = ++asked;
      if (!text) {
        close();
        return;
      }
      fetch(url + "?q=" + encodeURIComponent(text), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (mine === asked && document.activeElement === input) {
            show(data.results);
          }
        });
    }

    function choose(result) {
      var option = Array.prototype.find.call(select.options, function (o) { return o.value === String(result.id); });
      if (!option) {
        option = new Option(result.name, result.id);
        if (result.price) {
          option.setAttribute("data-price", result.price);
        }
        select.appendChild(option);
      }
      select.value = String(result.id);
      input.value = result.name;
      input.removeAttribute("aria-invalid");
      close();
      onChoose(result, input);
      fire(select);
    }

    input.addEventListener("input", function () {
      if (select.value) {
        select.value = "";
        fire(select);
      }
      window.clearTimeout(timer);
      timer = window.setTimeout(search, 120);
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (!open) {
          search();
          return;
        }
        if (results.length) {
          var step = event.key === "ArrowDown" ? 1 : -1;
          mark((active + step + results.length) % results.length);
        }
      } else if (event.key === "Enter") {
        if (open && results.length) {
          event.preventDefault();
          choose(results[active >= 0 ? active : 0]);
        } else if (kind === "product") {
          event.preventDefault();  // Enter in a line never sends the order half-typed
          var quantity = input.closest("tr").querySelector("[name$='.quantity']");
          quantity.focus();
        }
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () {
      window.setTimeout(close, 150);
    });
    return input;
  }

  // --- the customer --------------------------------------------------------------------------------------------

  function fillFromCustomer(result) {
    Object.keys(result.fill || {}).forEach(function (name) {
      var field = form.elements[name];
      var value = result.fill[name];
      if (!field || !value) {
        return;
      }
      // never overwrite what the user typed: only an empty field, or one this page filled before
      if (field.value === "" || field.value === field.getAttribute("data-filled")) {
        field.value = value;
        field.setAttribute("data-filled", value);
      }
    });
  }

  var customer = form.querySelector("select[data-search=customer]");
  if (customer) {
    enhance(customer, fillFromCustomer);
  }

  // --- lines -----------------------------------------------------------------------------------------------------

  function cents(text) {
    var value = String(text || "").trim();
    if (!/^\d+(\.\d+)?$/.test(value)) {
      return null;
    }
    return Math.round(parseFloat(value) * 100);
  }

  function money(amount) {  // 51,000.00, as the server writes it (core/money.py amount_text)
    var parts = (Math.abs(amount) / 100).toFixed(2).split(".");
    return (amount < 0 ? "-" : "") + parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." + parts[1];
  }

  var DIGITS = "零壹贰叁肆伍陆柒捌玖";
  var UNITS = ["", "拾", "佰", "仟"];
  var GROUPS = ["", "万", "亿", "万亿"];

  function group(value) {
    var text = "";
    var zero = false;
    for (var position = 3; position >= 0; position--) {
      var digit = Math.floor(value / Math.pow(10, position)) % 10;
      if (digit === 0) {
        zero = text !== "";
        continue;
      }
      if (zero) {
        text += "零";
        zero = false;
      }
      text += DIGITS[digit] + UNITS[position];
    }
    return text;
  }

  function capitals(amount) {  // as orderloop.core.money.rmb_capitals, from a whole number of fen
    var whole = Math.floor(amount / 100);
    var jiao = Math.floor(amount / 10) % 10;
    var fen = amount % 10;
    var groups = [];
    while (whole) {
      groups.push(whole % 10000);
      whole = Math.floor(whole / 10000);
    }
    var text = "";
    var gap = false;
    for (var index = groups.length - 1; index >= 0; index--) {
      if (groups[index] === 0) {
        gap = text !== "";
        continue;
      }
      if (text && (gap || groups[index] < 1000)) {
        text += "零";
      }
      text += group(groups[index]) + GROUPS[index];
      gap = false;
    }
    if (text) {
      text += "元";
    }
    if (jiao === 0 && fen === 0) {
      text = (text || "零元") + "整";
    } else if (jiao === 0) {
      text += (text ? "零" : "") + DIGITS[fen] + "分";
    } else {
      text += DIGITS[jiao] + "角" + (fen ? DIGITS[fen] + "分" : "");
    }
    return "人民币" + text;
  }

  function field(row, key) {
    return row.querySelector("[name$='." + key + "']");
  }

  function recompute() {
    var total = 0;
    body.querySelectorAll("tr[data-line]").forEach(function (row) {
      var select = field(row, "product_id");
      var option = select.options[select.selectedIndex];
      var typed = field(row, "unit_price").value.trim();
      var price = typed ? cents(typed) : cents(option && option.value ? option.getAttribute("data-price") : "");
      var quantity = String(field(row, "quantity").value).trim();
      var cell = row.querySelector(".line-amount");
      if (!select.value || price === null || !/^\d+(\.\d+)?$/.test(quantity)) {
        cell.textContent = "";
        return;
      }
      var amount = Math.round(parseFloat(quantity) * 1000) * price / 1000;
      amount = Math.round(amount);
      total += amount;
      cell.textContent = money(amount);
    });
    document.getElementById("intake-total").textContent = money(total);
    document.getElementById("intake-capitals").textContent = capitals(total);
  }

  function renumber() {
    body.querySelectorAll("tr[data-line]").forEach(function (row, k) {
      row.querySelector(".line-no").textContent = String(k + 1);
      row.querySelectorAll("[aria-label]").forEach(function (element) {
        var label = element.getAttribute("aria-label");
        element.setAttribute("aria-label", /\d+\D*$/.test(label) ? label.replace(/\d+(\D*)$/, (k + 1) + "$1") : label);
      });
    });
  }

  function choseProduct(result, input) {
    var row = input.closest("tr");
    var price = field(row, "unit_price");
    if (result.price && (price.value === "" || price.value === price.getAttribute("data-filled"))) {
      price.value = result.price;
      price.setAttribute("data-filled", result.price);
    }
    recompute();
    field(row, "quantity").focus();
  }

  function setUp(row) {
    var input = enhance(field(row, "product_id"), choseProduct);
    var remove = row.querySelector(".remove-line");
    remove.hidden = false;
    remove.addEventListener("click", function () {
      var after = row.nextElementSibling;
      if (after && after.classList.contains("row-errors")) {
        after.remove();
      }
      row.remove();
      if (!body.querySelector("tr[data-line]")) {
        addLine();
      }
      renumber();
      recompute();
      fire(form);
    });
    ["quantity", "unit_price"].forEach(function (key) {
      field(row, key).addEventListener("keydown", function (event) {
        if (event.key !== "Enter") {
          return;
        }
        event.preventDefault();  // Enter goes to the next line (a new one after the last), as in a spreadsheet
        var next = row.nextElementSibling;
        while (next && !next.hasAttribute("data-line")) {
          next = next.nextElementSibling;
        }
        next = next || addLine();
        next.querySelector("[role=combobox]").focus();
      });
    });
    return input;
  }

  function addLine() {
    var index = nextIndex++;
    var html = template.innerHTML.replace(/__i__/g, String(index)).replace(/__n__/g, "0");
    var holder = document.createElement("tbody");
    holder.innerHTML = html;
    var row = holder.querySelector("tr[data-line]");
    body.appendChild(row);
    setUp(row);
    renumber();
    return row;
  }

  body.querySelectorAll("tr[data-line]").forEach(setUp);
  body.addEventListener("input", recompute);
  body.addEventListener("change", recompute);
  var add = document.getElementById("add-line");
  add.addEventListener("click", function (event) {
    event.preventDefault();
    addLine().querySelector("[role=combobox]").focus();
  });
  recompute();

  // --- after a refused submit: the first field in error has the focus --------------------------------------------

  var banner = document.getElementById("intake-errors");
  if (banner) {
    banner.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-field]");
      var target = link && document.getElementById("f-" + link.getAttribute("data-field"));
      if (target) {
        event.preventDefault();
        target.focus();
      }
    });
    var first = form.querySelector("[aria-invalid=true]");
    if (first) {
      first.focus({ preventScroll: true });  // the page stays at the top, where the banner lists every problem
    }
  }

  // --- a paper order read: uncertain fields marked and visited first, a field's box shown on the page image ------

  var boxes = document.querySelectorAll(".paper-page rect[data-field]");
  if (boxes.length) {
    var showBox = function (field) {
      boxes.forEach(function (box) {
        var on = box.getAttribute("data-field") === field;
        box.classList.toggle("shown", on);
        if (on) { box.scrollIntoView({ block: "nearest" }); }
      });
    };
    var uncertain = [];
    boxes.forEach(function (box) {
      var input = document.getElementById("f-" + box.getAttribute("data-field"));
      if (input && box.classList.contains("uncertain")) {
        input.classList.add("uncertain");
        if (uncertain.indexOf(input) < 0) { uncertain.push(input); }
      }
    });
    form.addEventListener("focusin", function (event) {
      if (event.target.id && event.target.id.indexOf("f-") === 0) { showBox(event.target.id.slice(2)); }
    });
    var links = document.getElementById("paper-reading");
    links.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#f-']");
      var target = link && document.getElementById(link.getAttribute("href").slice(1));
      if (target) { event.preventDefault(); target.focus(); }
    });
    if (uncertain.length && !form.querySelector("[aria-invalid=true]")) {
      uncertain[0].focus({ preventScroll: true });  // the uncertain fields first
    }
  }
})();
