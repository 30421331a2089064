// The search page: Pagefind's UI over the index built with the site, started with the
// words from the search form in the header (?q=...). Nothing leaves the site.
window.addEventListener("DOMContentLoaded", () => {
  const element = document.getElementById("search");
  if (!element || !window.PagefindUI) return;
  const ui = new PagefindUI({
    element: "#search",
    showImages: true,
    showSubResults: false,
    resetStyles: false,
    translations: { placeholder: element.dataset.placeholder || "" },
    // the story's date before its excerpt (Pagefind shows title, image and excerpt)
    processResult: (result) => {
      const date = result.meta && result.meta.date;
      if (date) {
        const span = document.createElement("span");
        span.textContent = date;
        result.excerpt = `<span class="search-date">${span.innerHTML}</span> — ${result.excerpt}`;
      }
      return result;
    },
  });
  const query = new URLSearchParams(location.search).get("q");
  if (query) ui.triggerSearch(query);
});
