"""Static files: the site's public/ folder and the theme's CSS."""
