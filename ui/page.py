"""The page's static parts: help text, styles, and the script that opens cited passages."""

HELP = (
    "## News QA\n"
    "Ask in English or Indonesian. Every answer cites the article passages it comes from: "
    "click **[n]** to read the passage, highlighted in its article."
)

CSS = """
#top { align-items: baseline; }
#top #help p { margin: 0; }
#status { font-size: 0.9em; opacity: 0.8; }
#sources { max-height: 640px; overflow-y: auto; }
#sources .close { display: none; }
#sources .q { font-size: 0.85em; opacity: 0.7; margin: 4px 0 8px; }
#sources .src { border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 8px 10px; margin-bottom: 10px; }
#sources .src.active { border-color: var(--color-accent); box-shadow: 0 0 0 2px
  var(--color-accent-soft); }
#sources .src .n { font-weight: 700; color: var(--color-accent); margin-right: 2px; }
#sources .src .meta { font-size: 0.8em; opacity: 0.75; margin: 2px 0 6px; }
#sources .src .ctx { font-size: 0.92em; line-height: 1.5; white-space: pre-wrap; }
#sources .src .gap { opacity: 0.6; }
#sources mark { background: #fff2a8; color: #111; padding: 0 2px; border-radius: 2px; }
#sources mark.active { background: #ffd84d; outline: 2px solid #e0a800; }
#sources .empty { opacity: 0.6; padding: 12px; }
#sources .src .tr { font-size: 0.92em; margin: 0 0 8px; padding-left: 8px;
  border-left: 3px solid var(--color-accent-soft); }
#sources .src .tr .lbl { display: block; font-size: 0.8em; opacity: 0.7; }
a.cite { font-weight: 600; text-decoration: none; cursor: pointer; }
.answer .text { margin: 0 0 6px; }
.answer .state { font-size: 0.9em; opacity: 0.75; margin: 6px 0 0; }
.answer .state .dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%;
  background: var(--color-accent); margin-right: 6px; animation: pulse 1s infinite alternate; }
@keyframes pulse { from { opacity: 0.25; } to { opacity: 1; } }
.answer .label { font-size: 0.85em; opacity: 0.75; margin: 6px 0 2px; }
.answer ol.cited, .answer ol.related { font-size: 0.85em; margin: 4px 0 0; padding-left: 18px; }
.answer ol li .title { font-weight: 600; }
.answer ol li .meta { opacity: 0.75; }
.answer ol ul { list-style: none; padding-left: 0; margin: 2px 0 4px; }
.answer ol ul li { margin: 2px 0; }
.answer .mt { opacity: 0.65; font-size: 0.9em; }
.answer.abstained { border-left: 3px solid #d97706; padding-left: 8px; }
.answer.asks-back { border-left: 3px solid var(--color-accent); padding-left: 8px; }
.answer .dropped, .answer .note { font-size: 0.85em; opacity: 0.8; margin: 4px 0 0; }
#ask-note { color: #b45309; font-size: 0.9em; }
#chatbot { height: 560px; }

"""

PHONE = """
@media (max-width: 640px) {
  #top { flex-wrap: wrap !important; gap: 2px !important; }
  #top > div { flex: 1 1 100% !important; min-width: 100% !important; }
  #top #help p, #chat-tools { display: none !important; }
  #top #help h2 { font-size: 1.1em; margin: 0; }
  #status { font-size: 0.8em !important; }
  #chatbot { height: calc(100dvh - 290px) !important; min-height: 280px; }
  #sources { display: none !important; }
  body.sources-open #sources { display: block !important; position: fixed !important;
    left: 0; right: 0; bottom: 0; max-height: 62vh !important; z-index: 1000;
    background: var(--background-fill-primary); border-top: 2px solid var(--color-accent);
    box-shadow: 0 -6px 24px rgba(0,0,0,0.25); padding: 8px 12px 16px; overflow-y: auto;
    border-radius: 12px 12px 0 0; margin: 0 !important; }
  body.sources-open #sources .close { display: block !important; position: sticky; top: 0;
    margin-left: auto; font-size: 1.6em; line-height: 1; background: none; border: none;
    cursor: pointer; color: inherit; }
}
"""

# One delegated listener: a click on [n] shows that answer's sources and marks passage n (on
# a phone the panel opens as a sheet over the chat; its × closes it).
HEAD = (
    "<style>\n"
    # here, not in CSS: Gradio scopes the rules of a custom @media block under its container,
    # where the body's class cannot be matched
    + PHONE
    + "</style>\n"
    + """
<script>
document.addEventListener("click", (event) => {
  if (event.target.closest("#sources .close")) {
    document.body.classList.remove("sources-open");
    return;
  }
  const link = event.target.closest("a.cite");
  if (!link) return;
  event.preventDefault();
  event.stopPropagation();
  const panel = document.getElementById("sources");
  if (!panel) return;
  const group = link.dataset.group;
  panel.querySelectorAll(".group").forEach((g) => { g.hidden = g.dataset.group !== group; });
  const target = document.getElementById(`src-${group}-${link.dataset.n}`);
  panel.querySelectorAll("mark.active").forEach((m) => m.classList.remove("active"));
  panel.querySelectorAll(".src").forEach((s) => {
    s.classList.toggle("active", !!target && s.contains(target));
  });
  document.body.classList.add("sources-open");
  if (target) {
    target.classList.add("active");
    target.scrollIntoView({ behavior: "smooth", block: "nearest" });
  }
}, true);
</script>
"""
)
