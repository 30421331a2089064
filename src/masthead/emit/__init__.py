"""Machine-readable outputs made from the Site: sitemap, robots.txt."""
