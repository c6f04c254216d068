// Lecture mode (larger type, code folded) and its switch; loaded in <head> so the page never flashes.
// The choice is kept in localStorage and can be forced by the address: page.html?lecture=1 (or =0).
(function () {
  "use strict";
  var KEY = "transposed-convolution-book:lecture";
  var root = document.documentElement;

  function stored() {
    var asked = new URLSearchParams(location.search).get("lecture");
    if (asked !== null) return asked !== "0";
    try { return localStorage.getItem(KEY) === "1"; } catch (err) { return false; }
  }

  function apply(on, remember) {
    root.classList.toggle("lecture", on);
    if (remember) {
      try { localStorage.setItem(KEY, on ? "1" : "0"); } catch (err) { /* private mode: no memory */ }
    }
    if (!document.body) return;
    document.querySelectorAll("details.code").forEach(function (d) { d.open = !on; });
    document.querySelectorAll(".reading-toggle").forEach(function (b) {
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }

  apply(stored(), false);
  document.addEventListener("DOMContentLoaded", function () {
    apply(root.classList.contains("lecture"), false);
    document.querySelectorAll(".reading-toggle").forEach(function (b) {
      b.addEventListener("click", function () { apply(!root.classList.contains("lecture"), true); });
    });
    document.addEventListener("keydown", function (e) {
      var t = e.target;
      if (e.ctrlKey || e.metaKey || e.altKey || /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(t.tagName)) return;
      if (e.key === "l" || e.key === "L") apply(!root.classList.contains("lecture"), true);
    });
  });
})();
