from django.conf import settings
from django.contrib import admin
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.urls import path, re_path
from django.views.static import serve

from edge.feeds import feed
from edge.health import healthz, readyz
from edge.login import ThrottledLoginForm
from edge.metrics import metrics_view
from edge.view import graphql_view

admin.site.login_form = ThrottledLoginForm

urlpatterns = [
    path("admin/", admin.site.urls),
    path("graphql/", graphql_view(), name="graphql"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    re_path(
        r"^events/(?P<slug>[-\w]+)/(?P<name>schedule\.(?:ics|xml|json))$", feed, name="event-feed"
    ),
    re_path(r"^speakers/(?P<slug>[-\w]+)/(?P<name>talks\.ics)$", feed, name="speaker-feed"),
]

if settings.DEBUG:
    # The admin's CSS and JS under the local ASGI server, from the apps' folders.
    urlpatterns += staticfiles_urlpatterns()
elif settings.SERVE_STATIC:
    # Only the admin has static files; a CDN or the proxy can take over (SERVE_STATIC=0).
    urlpatterns += [
        re_path(r"^static/(?P<path>.*)$", serve, {"document_root": settings.STATIC_ROOT})
    ]
