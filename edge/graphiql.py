"""GraphiQL's page, from our own static files (edge/static/graphiql, see vendored.json),
opening on the example query, with the CSRF token a logged-in session's mutations need."""

from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string

from edge.security import HEADER as CSP_HEADER
from edge.security import policy_text

# The query GraphiQL opens on.
EXAMPLE_QUERY = (Path(__file__).parent / "example.graphql").read_text()

# GraphiQL's dialogs lock the page's scrolling with a <style> element of fixed text
# (react-remove-scroll, bundled in graphiql 3.8.3); the page's policy allows exactly that
# text by its hash. The browser tests open the dialogs and fail on any policy violation.
GRAPHIQL_SCROLL_LOCK_STYLE = "'sha256-Y/huXlwoYkVyQlxwSVcCi1RCDGDCSVBzDt0hYP9qlTc='"


def graphiql_page(request: HttpRequest) -> HttpResponse:
    settings_block = {"exampleQuery": EXAMPLE_QUERY, "csrfToken": get_token(request)}
    response = HttpResponse(render_to_string("graphiql/index.html", {"graphiql": settings_block}))
    directives = dict(settings.CONTENT_SECURITY_POLICY)
    directives["style-src"] = [*directives["style-src"], GRAPHIQL_SCROLL_LOCK_STYLE]
    response[CSP_HEADER] = policy_text(directives)
    return response
