/* Leaderboard tables: column chooser, search and filters, card labels, copy buttons, and
   keyboard access to figures that scroll sideways on a phone.
   Plain JavaScript, no dependencies, no network. The chooser and filter state live in the page
   address after "#" (e.g. #cols=date,links&q=lab&ext=no), so a view can be linked. */
(function () {
  "use strict";

  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  function readHash() {
    var out = {};
    var h = window.location.hash.replace(/^#/, "");
    if (h.indexOf("=") < 0) { return out; }
    h.split("&").forEach(function (part) {
      var i = part.indexOf("=");
      if (i > 0) {
        try { out[decodeURIComponent(part.slice(0, i))] = decodeURIComponent(part.slice(i + 1)); }
        catch (e) { /* a malformed address part is ignored */ }
      }
    });
    return out;
  }

  function writeHash(state) {
    var parts = [];
    Object.keys(state).sort().forEach(function (k) {
      if (state[k] !== "" && state[k] !== null && state[k] !== undefined) {
        parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(state[k]).replace(/%2C/g, ","));
      }
    });
    var url = window.location.href.split("#")[0] + (parts.length ? "#" + parts.join("&") : "");
    try { window.history.replaceState(null, "", url); }
    catch (e) { /* some file:// pages refuse; the view still works, it is only not linkable */ }
  }

  function headerText(th) {
    var b = th.querySelector("button");
    var t = (b || th).textContent.replace(/\s+/g, " ").trim();
    return t;
  }

  /* Cards on narrow screens: every data cell shows its column name (CSS ::before). */
  function labelCells(table) {
    if (!table.tHead || !table.tHead.rows.length) { return; }
    var heads = table.tHead.rows[0].cells;
    each(table.tBodies, function (body) {
      each(body.rows, function (row) {
        each(row.cells, function (cell, i) {
          if (cell.tagName === "TD" && !cell.hasAttribute("data-label") && heads[i]) {
            cell.setAttribute("data-label", headerText(heads[i]));
          }
        });
      });
    });
  }

  function setupBoard(table) {
    var id = table.id;
    var tools = document.getElementById(id + "-tools");
    var form = document.getElementById(id + "-filters");
    var chooser = document.getElementById(id + "-chooser");
    var status = document.getElementById(id + "-status");
    var nomatch = document.getElementById(id + "-nomatch");
    var heads = table.tHead.rows[0].cells;
    var state = readHash();
    var defaults = ["date"];

    function shownColumns() {
      if (!chooser) { return []; }
      var out = [];
      each(chooser.querySelectorAll("input[name=col]"), function (box) { if (box.checked) { out.push(box.value); } });
      return out;
    }

    function applyColumns() {
      var shown = shownColumns();
      each(heads, function (th, i) {
        if (!th.hasAttribute("data-optional")) { return; }
        var hide = shown.indexOf(th.getAttribute("data-col")) < 0;
        th.hidden = hide;
        each(table.tBodies[0].rows, function (row) { if (row.cells[i]) { row.cells[i].hidden = hide; } });
      });
    }

    function filterValues() {
      var v = {};
      if (!form) { return v; }
      each(form.elements, function (el) { if (el.name && el.name !== "col") { v[el.name] = el.value.trim(); } });
      return v;
    }

    function applyFilters() {
      var f = filterValues();
      var q = (f.q || "").toLocaleLowerCase();
      var total = 0, shown = 0;
      each(table.tBodies[0].rows, function (row) {
        if (row.getAttribute("data-kind") !== "entry") { return; }
        total += 1;
        var text = ((row.getAttribute("data-team") || "") + " / " + (row.getAttribute("data-model") || "")).toLocaleLowerCase();
        var date = row.getAttribute("data-date") || "";
        var ok = (!q || text.indexOf(q) >= 0) &&
          (!f.from || (date && date >= f.from)) &&
          (!f.to || (date && date <= f.to)) &&
          (!f.ext || row.getAttribute("data-external") === f.ext) &&
          (!f.syn || row.getAttribute("data-synthetic") === f.syn);
        row.hidden = !ok;
        if (ok) { shown += 1; }
      });
      if (status) {
        status.textContent = shown === total ? "Showing all " + total + " entries."
          : "Showing " + shown + " of " + total + " entries.";
      }
      if (nomatch) { nomatch.hidden = shown !== 0 || total === 0; }
    }

    function save() {
      var s = filterValues();
      var cols = shownColumns();
      var isDefault = cols.length === defaults.length && cols.every(function (c) { return defaults.indexOf(c) >= 0; });
      s.cols = isDefault ? "" : (cols.length ? cols.join(",") : "none");
      writeHash(s);
    }

    function load(st) {
      if (chooser) {
        var cols = st.cols === undefined ? defaults : (st.cols === "none" ? [] : st.cols.split(","));
        each(chooser.querySelectorAll("input[name=col]"), function (box) { box.checked = cols.indexOf(box.value) >= 0; });
      }
      if (form) {
        each(form.elements, function (el) {
          if (el.name && el.name !== "col") { el.value = st[el.name] || ""; }
        });
      }
      applyColumns();
      applyFilters();
    }

    if (tools) { tools.hidden = false; }
    load(state);
    if (chooser) {
      chooser.addEventListener("change", function () { applyColumns(); save(); });
    }
    if (form) {
      form.addEventListener("input", function () { applyFilters(); save(); });
      form.addEventListener("change", function () { applyFilters(); save(); });
      form.addEventListener("submit", function (ev) { ev.preventDefault(); applyFilters(); save(); });
      form.addEventListener("reset", function () {
        window.setTimeout(function () { applyFilters(); save(); }, 0);
      });
    }
    if (nomatch) {
      each(nomatch.querySelectorAll("[data-clear]"), function (b) {
        b.addEventListener("click", function () {
          // form.reset() has reset the fields when it returns: show every row at once rather
          // than after the reset event's deferred update.
          if (form) { form.reset(); applyFilters(); save(); }
          var q = document.getElementById("f-q");
          if (q) { q.focus(); }
        });
      });
    }
    window.addEventListener("hashchange", function () { load(readHash()); });
  }

  function setupCopy(button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (!target) { return; }
    button.hidden = false;
    var label = button.textContent;
    button.addEventListener("click", function () {
      var text = target.textContent;
      function done(ok) {
        button.textContent = ok ? "Copied" : "Select the text and copy it";
        window.setTimeout(function () { button.textContent = label; }, 2000);
      }
      function fallback() {
        var range = document.createRange();
        range.selectNodeContents(target);
        var sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        var ok = false;
        try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
        done(ok);
      }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(function () { done(true); }, fallback);
      } else {
        fallback();
      }
    });
  }

  function start() {
    each(document.querySelectorAll("table.board"), labelCells);
    each(document.querySelectorAll("table.filterable[id], table.choosable[id]"), setupBoard);
    each(document.querySelectorAll("button.copy[data-copy]"), setupCopy);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
