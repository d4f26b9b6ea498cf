"""The web console: server-rendered pages (Jinja2 + HTMX) over the same domain services as the
API. Handlers here parse forms and render templates; every rule lives in the domain packages."""
