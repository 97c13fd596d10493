// Keyboard review on the list and on an incident (no inline script: the CSP
// allows only files from this site). j/k move, x ticks, Enter opens,
// c confirms, d dismisses (the ticked incidents on the list, else the one
// under the cursor; on an incident, that incident).
(function () {
  "use strict";
  function typing(e) {
    var t = e.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(t.tagName) && t.type !== "checkbox");
  }
  var all = document.getElementById("all");
  var rows = Array.prototype.slice.call(document.querySelectorAll("table.incidents tbody tr"));
  if (all) {
    all.addEventListener("change", function () {
      rows.forEach(function (r) { r.querySelector("input[name=id]").checked = all.checked; });
    });
  }
  var at = -1;
  function move(i) {
    if (!rows.length) return;
    at = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach(function (r, n) { r.classList.toggle("cursor", n === at); });
    rows[at].scrollIntoView({block: "nearest"});
    rows[at].querySelector("a.open").focus({preventScroll: true});
  }
  function bulk(decision) {
    var form = document.getElementById("bulk");
    var ticked = rows.filter(function (r) { return r.querySelector("input[name=id]").checked; });
    if (!ticked.length && at >= 0) {
      rows[at].querySelector("input[name=id]").checked = true;
      ticked = [rows[at]];
    }
    if (!ticked.length) return;
    form.requestSubmit(document.getElementById("bulk-" + decision));
  }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e)) return;
    var key = e.key;
    if (rows.length) {
      if (key === "j") { move(at + 1); e.preventDefault(); }
      else if (key === "k") { move(at - 1); e.preventDefault(); }
      else if (key === "x" && at >= 0) {
        var box = rows[at].querySelector("input[name=id]");
        box.checked = !box.checked; e.preventDefault();
      }
      else if ((key === "Enter" || key === "o") && at >= 0) {
        rows[at].querySelector("a.open").click(); e.preventDefault();
      }
      else if (key === "c") { bulk("confirm"); e.preventDefault(); }
      else if (key === "d") { bulk("dismiss"); e.preventDefault(); }
      return;
    }
    var detail = document.querySelector("[data-incident]");
    if (!detail) return;
    function press(id) { var b = document.getElementById(id); if (b) { b.click(); e.preventDefault(); } }
    if (key === "c") press("confirm");
    else if (key === "d") press("dismiss");
    else if (key === "j") press("next-incident");
    else if (key === "k") press("back-to-list");
  });
})();
