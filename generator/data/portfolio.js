(function () {
  "use strict";
  /* Sorts the portfolio table by the column whose header is clicked; a second click
     reverses the order. Each header becomes a button, so the keyboard sorts too. A cell's
     data-sort value, when it has one, is what it sorts by (verdict and risk tier by rank);
     columns marked data-numeric sort as numbers, with empty cells last either way; rows
     that tie keep the order the files were given. Without script the table is the same,
     in that order. Spec text is never part of this script: it only moves rows. */
  var table = document.getElementById("portfolio-table");
  if (!table || !table.tHead || !table.tBodies.length) {
    return;
  }
  var body = table.tBodies[0];
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(body.rows, function (row, index) {
    row.setAttribute("data-order", String(index));
  });

  function key(row, column, numeric) {
    var cell = row.cells[column];
    var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
    raw = raw.trim();
    if (!numeric) {
      return raw.toLowerCase();
    }
    return raw === "" ? null : Number(raw.replace(/[^0-9.+-]/g, ""));
  }

  function compare(a, b, descending) {
    if (a === b) {
      return 0;
    }
    if (a === null) {
      return 1;
    }
    if (b === null) {
      return -1;
    }
    var order = typeof a === "number" ? a - b : a.localeCompare(b);
    return descending ? -order : order;
  }

  function sortBy(column, header) {
    var numeric = header.hasAttribute("data-numeric");
    var current = header.getAttribute("aria-sort");
    var first = header.getAttribute("data-first") || "ascending";
    var next = current === "none" ? first : current === "ascending" ? "descending" : "ascending";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var order = compare(key(a, column, numeric), key(b, column, numeric), next === "descending");
      return order || Number(a.getAttribute("data-order")) - Number(b.getAttribute("data-order"));
    });
    rows.forEach(function (row) {
      body.appendChild(row);
    });
    Array.prototype.forEach.call(heads, function (other) {
      other.setAttribute("aria-sort", "none");
    });
    header.setAttribute("aria-sort", next);
  }

  Array.prototype.forEach.call(heads, function (header, column) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "sort";
    while (header.firstChild) {
      button.appendChild(header.firstChild);
    }
    header.appendChild(button);
    header.setAttribute("aria-sort", "none");
    button.addEventListener("click", function () {
      sortBy(column, header);
    });
  });
  table.classList.add("sortable");
})();
