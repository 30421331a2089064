"""The browser side of live reload: a few lines injected into HTML in serve mode only.

They listen to the server's event stream: ``reload`` after a finished rebuild, ``error``
with the diagnostics of a failed one (shown over the page, file, line and hint), and on
connecting, ``state`` with the current error if any. Built pages never contain this.
"""

from __future__ import annotations

EVENTS_PATH = "/__masthead/events"

SCRIPT = """<script>(() => {
  const source = new EventSource("__EVENTS__");
  const overlay = (problems) => {
    let box = document.getElementById("masthead-errors");
    if (!problems) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("div");
      box.id = "masthead-errors";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;inset:0;z-index:2147483647;overflow:auto;" +
        "background:rgba(20,20,24,.96);color:#f3f3f3;font:14px/1.5 ui-monospace,monospace;" +
        "padding:2rem";
      document.body.appendChild(box);
    }
    box.replaceChildren();
    const title = document.createElement("h2");
    title.textContent = "masthead: the last build failed; the page shows the last good build";
    title.style.cssText = "color:#ff8a8a;font:700 18px/1.3 system-ui,sans-serif;margin:0 0 1rem";
    box.appendChild(title);
    for (const problem of problems) {
      const pre = document.createElement("pre");
      pre.textContent = problem;
      pre.style.cssText = "white-space:pre-wrap;border-left:3px solid #ff8a8a;padding-left:1rem";
      box.appendChild(pre);
    }
  };
  source.addEventListener("state", (e) => overlay(JSON.parse(e.data).errors));
  source.addEventListener("error", (e) => { if (e.data) overlay(JSON.parse(e.data).errors); });
  source.addEventListener("reload", () => location.reload());
})();</script>""".replace("__EVENTS__", EVENTS_PATH)


def inject(html: bytes) -> bytes:
    """Put the script just before </body> (or at the end of a page without one)."""
    script = SCRIPT.encode()
    index = html.rfind(b"</body>")
    return html + script if index < 0 else html[:index] + script + html[index:]
