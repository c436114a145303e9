"""Django's own middleware, run on the event loop instead of a thread.

Under ASGI, Django runs every `process_request`, `process_view` and `process_response`
of a classic middleware on a worker thread, in case it does I/O: 13 trips to a thread and
back for each request to /graphql/, about a third of what a `{ __typename }` request
costs (bench/fixed_cost.py). The seven below do none in what they do for the API and the
admin: they read and write headers and cookies, and set up lazy objects (the session, the
user, the message storage) that load on first use, on the view's thread. What can do I/O
still goes to a thread, decided per request:

- the session is saved when it was modified (or SESSION_SAVE_EVERY_REQUEST);
- messages touch the session only when the session was used during the request;
- CSRF reads and writes its secret in the session under CSRF_USE_SESSIONS.

Each class is Django's, subclassed only to say which of its methods may run on the loop,
so their behaviour is Django's own: tests/http/test_middleware.py sends the same requests
through these and through Django's classes and compares the answers. Were a future
Django's method to do I/O here, Django's own guard would raise SynchronousOnlyOperation
rather than block the loop; pyproject.toml holds Django to the minor version this was
read against.
"""

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
from django.core.checks import Tags, Warning, register
from django.middleware import clickjacking, common, csrf, security
from django.utils.module_loading import import_string


def _session_used(request) -> bool:
    session = getattr(request, "session", None)
    return session is not None and session.accessed


class OnTheLoop:
    """Runs a MiddlewareMixin's `process_request` and `process_response` on the event loop
    unless `request_needs_thread` or `response_needs_thread` says otherwise."""

    def request_needs_thread(self, request) -> bool:
        return False

    def response_needs_thread(self, request, response) -> bool:
        return False

    async def __acall__(self, request):
        response = None
        if hasattr(self, "process_request"):
            if self.request_needs_thread(request):
                response = await sync_to_async(self.process_request)(request)
            else:
                response = self.process_request(request)
        response = response or await self.get_response(request)
        if hasattr(self, "process_response"):
            if self.response_needs_thread(request, response):
                response = await sync_to_async(self.process_response)(request, response)
            else:
                response = self.process_response(request, response)
        return response


class SecurityMiddleware(OnTheLoop, security.SecurityMiddleware):
    pass


class SessionMiddleware(OnTheLoop, sessions.SessionMiddleware):
    def response_needs_thread(self, request, response) -> bool:
        session = getattr(request, "session", None)
        return session is not None and (session.modified or settings.SESSION_SAVE_EVERY_REQUEST)


class CommonMiddleware(OnTheLoop, common.CommonMiddleware):
    pass


class CsrfViewMiddleware(OnTheLoop, csrf.CsrfViewMiddleware):
    def request_needs_thread(self, request) -> bool:
        return settings.CSRF_USE_SESSIONS

    def response_needs_thread(self, request, response) -> bool:
        return settings.CSRF_USE_SESSIONS

    async def process_view(self, request, callback, callback_args, callback_kwargs):
        # Django awaits an async process_view instead of sending it to a thread; the
        # checks read the request's headers, cookies and form body, which are in memory.
        arguments = (request, callback, callback_args, callback_kwargs)
        if settings.CSRF_USE_SESSIONS:
            return await sync_to_async(super().process_view)(*arguments)
        return super().process_view(*arguments)


class AuthenticationMiddleware(OnTheLoop, auth.AuthenticationMiddleware):
    pass


class MessageMiddleware(OnTheLoop, messages.MessageMiddleware):
    def response_needs_thread(self, request, response) -> bool:
        return _session_used(request)


class XFrameOptionsMiddleware(OnTheLoop, clickjacking.XFrameOptionsMiddleware):
    pass


# Django's deploy checks look for its own dotted paths in MIDDLEWARE, not for subclasses,
# so settings.py silences security.W001-W003; this check asks the same of the classes.
PROTECTIONS = {
    "security.W001": security.SecurityMiddleware,
    "security.W002": clickjacking.XFrameOptionsMiddleware,
    "security.W003": csrf.CsrfViewMiddleware,
}


@register(Tags.security, deploy=True)
def check_protections(app_configs, **kwargs) -> list[Warning]:
    installed = []
    for path in settings.MIDDLEWARE:
        found = import_string(path)
        if isinstance(found, type):
            installed.append(found)
    return [
        Warning(
            f"No {protection.__module__}.{protection.__name__} (or a subclass, such as "
            f"edge.middleware's) in MIDDLEWARE: what it protects against is open.",
            id=f"edge.{code.replace('.', '_')}",
        )
        for code, protection in PROTECTIONS.items()
        if not any(issubclass(cls, protection) for cls in installed)
    ]
