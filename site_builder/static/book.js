// Lecture mode (larger type, code folded) and its switch, inlined in <head> so nothing flashes.
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
      try {
        localStorage.setItem(KEY, on ? "1" : "0");
      } catch (err) { /* private mode: no memory */ }
    }
    if (!document.body) return;
    document.querySelectorAll("details.code").forEach(function (d) { d.open = !on; });
    document.querySelectorAll(".reading-toggle").forEach(function (b) {
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }

  // KaTeX's commonest fonts on this page (listed by the build) start loading with the page, not
  // after its style is computed; not from file://, where browsers refuse preloaded fonts.
  if (location.protocol !== "file:") {
    (root.getAttribute("data-fonts") || "").split(" ").filter(Boolean).forEach(function (font) {
      var link = document.createElement("link");
      link.rel = "preload"; link.as = "font"; link.type = "font/woff2";
      link.crossOrigin = "anonymous";
      link.href = "assets/katex/fonts/" + font + ".woff2";
      document.head.appendChild(link);
    });
  }

  apply(stored(), false);
  document.addEventListener("DOMContentLoaded", function () {
    apply(root.classList.contains("lecture"), false);
    document.querySelectorAll(".reading-toggle").forEach(function (b) {
      b.addEventListener("click", function () {
        apply(!root.classList.contains("lecture"), true);
      });
    });
    document.addEventListener("keydown", function (e) {
      var t = e.target;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (/^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(t.tagName)) return;
      if (e.key === "l" || e.key === "L") apply(!root.classList.contains("lecture"), true);
    });
  });
})();
