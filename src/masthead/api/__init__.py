"""masthead api: view counts, newsletter sign-ups and contact messages beside the site."""
