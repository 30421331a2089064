// Click-to-load embeds: a facade is a link to the video or page; a click swaps it for the
// player, and only then does the reader's browser contact the other site.
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a.embed-facade[data-embed-src]");
  if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  if (!/^https:\/\//.test(link.dataset.embedSrc)) return;  // a player is only ever https
  event.preventDefault();
  const frame = document.createElement("iframe");
  frame.src = link.dataset.embedSrc;
  frame.title = link.dataset.embedTitle || link.textContent.trim();
  frame.className = "embed-frame";
  frame.allow = "autoplay; encrypted-media; picture-in-picture; fullscreen";
  frame.allowFullscreen = true;
  frame.referrerPolicy = "strict-origin-when-cross-origin";
  link.replaceWith(frame);
  frame.focus();
});
