(function () {
  "use strict";
  var bar = document.getElementById("filters");
  if (!bar) { return; }
  var holder = document.getElementById("f-holder");
  var status = document.getElementById("f-status");
  var area = document.getElementById("f-area");
  var text = document.getElementById("f-text");
  var count = document.getElementById("f-count");
  var items = Array.prototype.slice.call(document.querySelectorAll(".finding"));
  var groups = Array.prototype.slice.call(
    document.querySelectorAll(".check, .family, .asset-group"));
  function apply() {
    var h = holder.value, s = status.value, a = area.value;
    var q = text.value.trim().toLowerCase();
    var shown = 0;
    items.forEach(function (el) {
      var ok = (!h || el.getAttribute("data-holder") === h) &&
        (!s || el.getAttribute("data-status") === s) &&
        (!a || el.getAttribute("data-area") === a) &&
        (!q || el.textContent.toLowerCase().indexOf(q) >= 0);
      el.hidden = !ok;
      if (ok) { shown += 1; }
    });
    groups.forEach(function (g) {
      g.hidden = !g.querySelector(".finding:not([hidden])");
    });
    count.textContent = shown === items.length ?
      "Showing all " + items.length + " findings." :
      "Showing " + shown + " of " + items.length + " findings.";
  }
  bar.addEventListener("input", apply);
  bar.addEventListener("change", apply);
  document.getElementById("f-reset").addEventListener("click", function () {
    holder.value = ""; status.value = ""; area.value = ""; text.value = "";
    apply();
  });
  document.getElementById("f-evidence").addEventListener("click", function () {
    var open = this.getAttribute("aria-pressed") !== "true";
    this.setAttribute("aria-pressed", open ? "true" : "false");
    this.textContent = open ? "Hide all evidence" : "Show all evidence";
    document.querySelectorAll("details.evidence").forEach(function (d) { d.open = open; });
  });
  bar.hidden = false;
  apply();
}());
