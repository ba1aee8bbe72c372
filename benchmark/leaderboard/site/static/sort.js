/* Sortable tables: every header button sorts its column; aria-sort tells assistive technology
   the current order. Empty cells stay last in both directions. No dependencies. */
(function () {
  "use strict";

  function cellValue(row, index, type) {
    var cell = row.children[index];
    var raw = cell ? cell.getAttribute("data-sort") : "";
    if (raw === null) { raw = cell.textContent.trim(); }
    if (raw === "") { return null; }
    if (type === "num") {
      var v = parseFloat(raw);
      return isNaN(v) ? null : v;
    }
    return raw.toLocaleLowerCase();
  }

  function sortTable(table, th, direction) {
    var headers = table.tHead.rows[0].cells;
    var index = Array.prototype.indexOf.call(headers, th);
    var type = th.getAttribute("data-type") || "text";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var sign = direction === "ascending" ? 1 : -1;
    var keyed = rows.map(function (row, i) {
      return { row: row, key: cellValue(row, index, type), i: i };
    });
    keyed.sort(function (a, b) {
      if (a.key === null && b.key === null) { return a.i - b.i; }
      if (a.key === null) { return 1; }
      if (b.key === null) { return -1; }
      var c;
      if (type === "num") { c = a.key - b.key; }
      else { c = a.key < b.key ? -1 : (a.key > b.key ? 1 : 0); }
      return c !== 0 ? sign * c : a.i - b.i;
    });
    keyed.forEach(function (k) { body.appendChild(k.row); });
    Array.prototype.forEach.call(headers, function (h) {
      if (h === th) { h.setAttribute("aria-sort", direction); }
      else { h.removeAttribute("aria-sort"); }
    });
  }

  function init(table) {
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(headers, function (th) {
      var button = th.querySelector("button");
      if (!button) { return; }
      button.addEventListener("click", function () {
        var current = th.getAttribute("aria-sort");
        var next;
        if (current === "ascending") { next = "descending"; }
        else if (current === "descending") { next = "ascending"; }
        else { next = th.getAttribute("data-first") || "ascending"; }
        sortTable(table, th, next);
      });
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), init);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
