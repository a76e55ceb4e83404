// The class page's table of students, sorted and filtered in place: by
// clicking a column's title, and with the controls above it. The state
// lives in the address's fragment (#sort=score&dir=desc&item=7&cell=fail
// &q=bo&min=50), so that a view can be bookmarked or sent, and a page
// opened with one starts in it. Nothing is fetched; no library is used.
(function () {
  "use strict";
  var table = document.getElementById("students");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var controls = {
    q: document.getElementById("q"),
    item: document.getElementById("item"),
    cell: document.getElementById("cell"),
    min: document.getElementById("min")
  };
  var state = { sort: "student", dir: "asc", q: "", item: "", cell: "", min: "" };

  function readHash() {
    var text = window.location.hash.replace(/^#/, "");
    text.split("&").forEach(function (part) {
      var kv = part.split("=");
      if (kv.length === 2 && Object.prototype.hasOwnProperty.call(state, kv[0])) {
        state[kv[0]] = decodeURIComponent(kv[1]);
      }
    });
    if (state.dir !== "desc") { state.dir = "asc"; }
  }

  function writeHash() {
    var parts = [];
    Object.keys(state).forEach(function (k) {
      if (state[k] !== "") { parts.push(k + "=" + encodeURIComponent(state[k])); }
    });
    var hash = "#" + parts.join("&");
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", hash);
    }
  }

  var order = { fail: 0, review: 1, "n/a": 2, pass: 3 };

  function key(row) {
    var k = state.sort;
    if (k === "student") { return row.dataset.student.toLowerCase(); }
    if (k === "score" || k === "time") { return parseFloat(row.dataset[k]); }
    var cell = row.dataset[k];
    return cell in order ? order[cell] : 9;
  }

  function apply() {
    var sign = state.dir === "desc" ? -1 : 1;
    rows.sort(function (a, b) {
      var ka = key(a), kb = key(b);
      if (ka < kb) { return -sign; }
      if (ka > kb) { return sign; }
      return a.dataset.student < b.dataset.student ? -1 : (a.dataset.student > b.dataset.student ? 1 : 0);
    });
    var q = state.q.toLowerCase(), min = parseFloat(state.min), shown = 0;
    rows.forEach(function (row) {
      var ok = row.dataset.student.toLowerCase().indexOf(q) !== -1;
      if (ok && !isNaN(min)) { ok = parseFloat(row.dataset.score) >= min; }
      if (ok && state.item !== "" && state.cell !== "") {
        ok = row.dataset["item" + state.item] === state.cell;
      } else if (ok && state.item === "" && state.cell !== "") {
        ok = Object.keys(row.dataset).some(function (k) {
          return /^item\d+$/.test(k) && row.dataset[k] === state.cell;
        });
      }
      row.hidden = !ok;
      if (ok) { shown += 1; }
      body.appendChild(row);
    });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.classList.remove("asc", "desc");
      if (th.dataset.sort === state.sort) { th.classList.add(state.dir); }
    });
    var count = document.getElementById("shown");
    count.textContent = shown + " of " + rows.length + " students shown";
    table.dataset.shown = String(shown);
    controls.q.value = state.q;
    controls.item.value = state.item;
    controls.cell.value = state.cell;
    controls.min.value = state.min;
  }

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    if (!th.dataset.sort) { return; }
    th.addEventListener("click", function () {
      if (state.sort === th.dataset.sort) {
        state.dir = state.dir === "asc" ? "desc" : "asc";
      } else {
        state.sort = th.dataset.sort;
        state.dir = th.dataset.sort === "student" ? "asc" : "desc";
      }
      apply();
      writeHash();
    });
  });
  Object.keys(controls).forEach(function (name) {
    controls[name].addEventListener("input", function () {
      state[name] = controls[name].value;
      apply();
      writeHash();
    });
  });
  readHash();
  apply();
  document.body.dataset.ready = "yes";
})();
