"""Rendering routes to HTML with Jinja2 templates."""
