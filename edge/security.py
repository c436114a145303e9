"""The Content-Security-Policy of the HTML pages we serve: GraphiQL and the admin.

Django 6.0 sets this header itself (`SECURE_CSP`); on 5.2 this middleware does, from
the CONTENT_SECURITY_POLICY setting. JSON answers are left as they are: a policy
governs what a document may load, and they are not documents.
"""

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.utils.decorators import sync_and_async_middleware

HEADER = "Content-Security-Policy"


def policy_text(directives: dict[str, list[str]]) -> str:
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


@sync_and_async_middleware
def content_security_policy_middleware(get_response):
    policy = policy_text(settings.CONTENT_SECURITY_POLICY)

    def add_policy(response):
        is_page = response.get("Content-Type", "").startswith("text/html")
        # Django's technical error pages under DEBUG style themselves inline.
        debug_page = settings.DEBUG and response.status_code >= 400
        if is_page and not debug_page and HEADER not in response:
            response[HEADER] = policy
        return response

    if iscoroutinefunction(get_response):

        async def middleware(request):
            return add_policy(await get_response(request))

    else:

        def middleware(request):
            return add_policy(get_response(request))

    return middleware
