"""The page's static parts: help text, styles, and the script that opens cited passages."""

HELP = (
    "## News QA\n"
    "Ask in English or Indonesian. Every answer cites the article passages it comes from: "
    "click **[n]** to read the passage, highlighted in its article, in the sources panel."
)

CSS = """
#sources { max-height: 640px; overflow-y: auto; }
#sources .q { font-size: 0.85em; opacity: 0.7; margin: 4px 0 8px; }
#sources .src { border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 8px 10px; margin-bottom: 10px; }
#sources .src.active { border-color: var(--color-accent); box-shadow: 0 0 0 2px
  var(--color-accent-soft); }
#sources .src .n { font-weight: 700; color: var(--color-accent); }
#sources .src .meta { font-size: 0.8em; opacity: 0.75; margin: 2px 0 6px; }
#sources .src .ctx { font-size: 0.92em; line-height: 1.5; white-space: pre-wrap; }
#sources mark { background: #fff2a8; color: #111; padding: 0 2px; border-radius: 2px; }
#sources .empty { opacity: 0.6; padding: 12px; }
a.cite { font-weight: 600; text-decoration: none; cursor: pointer; }
.abstained { border-left: 3px solid #d97706; padding-left: 8px; }
ol.cited { font-size: 0.85em; margin-top: 6px; }
.related-note, .dropped, .note { font-size: 0.85em; opacity: 0.8; }
#sources .src .tr { font-size: 0.92em; margin: 0 0 8px; padding-left: 8px;
  border-left: 3px solid var(--color-accent-soft); }
#sources .src .tr .lbl { display: block; font-size: 0.8em; opacity: 0.7; }
"""

# One delegated listener: a click on [n] shows that answer's sources and marks passage n.
HEAD = """
<script>
document.addEventListener("click", (event) => {
  const link = event.target.closest("a.cite");
  if (!link) return;
  event.preventDefault();
  event.stopPropagation();
  const panel = document.getElementById("sources");
  if (!panel) return;
  const group = link.dataset.group;
  panel.querySelectorAll(".group").forEach((g) => { g.hidden = g.dataset.group !== group; });
  const id = `src-${group}-${link.dataset.n}`;
  panel.querySelectorAll(".src").forEach((s) => s.classList.toggle("active", s.id === id));
  const target = document.getElementById(id);
  if (target) target.scrollIntoView({ behavior: "smooth", block: "nearest" });
}, true);
</script>
"""
