"""Reading a site's content folder: files, front matter, Markdown, typed models."""
