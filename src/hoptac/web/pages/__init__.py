"""Server-rendered pages (Jinja2 + a little HTMX)."""
