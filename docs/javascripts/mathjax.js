// MathJax 3 settings for pymdownx.arithmatex (generic mode), as in the Material docs; MathJax
// itself is bundled locally by scripts/fetch_mathjax.py (docs/javascripts/mathjax/).
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true
  },
  // SVG output (the bundled tex-svg.js): the glyphs are in the script, no web fonts to load,
  // so the math renders from file:// too; one shared glyph cache per page.
  svg: {
    fontCache: "global"
  },
  options: {
    ignoreHtmlClass: ".*|",
    processHtmlClass: "arithmatex"
  }
};

// Material's instant navigation swaps pages without a reload: typeset each new page.
if (typeof document$ !== "undefined") {
  document$.subscribe(() => {
    if (window.MathJax && MathJax.typesetPromise) {
      MathJax.startup.output.clearCache();
      MathJax.typesetClear();
      MathJax.texReset();
      MathJax.typesetPromise();
    }
  });
}
