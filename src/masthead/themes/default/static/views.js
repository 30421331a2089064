// Counts this page load once and shows the live count. One same-origin request, no
// cookies, nothing stored in the browser; with Do Not Track or Global Privacy Control
// on, the count is only read, not added to.
(() => {
  // Replies, likes and boosts the story's Article got on the fediverse: counts kept by
  // the site's own API, nothing loaded from the servers they came from.
  const counts = document.querySelector("[data-reactions-path]");
  if (counts && window.fetch) {
    const { reactionsApi, reactionsPath, reactionsLabel } = counts.dataset;
    fetch(`${reactionsApi}/fediverse/reactions?path=${encodeURIComponent(reactionsPath)}`,
      { credentials: "omit" })
      .then((response) => (response.ok ? response.json() : null))
      .then((data) => {
        if (!data || !(data.replies + data.likes + data.boosts > 0)) return;
        counts.textContent = reactionsLabel.replace("{replies}", String(data.replies))
          .replace("{likes}", String(data.likes)).replace("{boosts}", String(data.boosts));
        counts.hidden = false;
      }).catch(() => {});
  }
  const el = document.querySelector("[data-views-path]");
  if (!el || !window.fetch) return;
  const api = el.dataset.viewsApi;
  const path = el.dataset.viewsPath;
  const quiet = navigator.doNotTrack === "1" || window.doNotTrack === "1" ||
    navigator.globalPrivacyControl === true;
  const show = (count) => {
    if (typeof count !== "number") return;
    const total = Number(el.dataset.viewsBase || 0) + count;
    el.textContent = el.dataset.viewsLabel.replace("{count}", String(total));
  };
  const json = (response) => (response.ok ? response.json() : null);
  if (quiet) {
    fetch(`${api}/views?path=${encodeURIComponent(path)}`, { credentials: "omit" })
      .then(json).then((data) => data && show(data[path])).catch(() => {});
    return;
  }
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  const id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const send = (retry) =>
    fetch(`${api}/views`, {
      method: "POST",
      credentials: "omit",
      keepalive: true,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ path, id }),
    }).then(json).then((data) => data && show(data.views))
      .catch(() => retry && setTimeout(() => send(false), 2000)); // same id: counted once
  send(true);
})();
