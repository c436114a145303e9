from django.conf import settings
from django.contrib import admin
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.urls import path

from project.health import healthz, readyz
from schema.schema import schema
from schema.views import GraphQLView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("graphql/", GraphQLView.for_settings(schema), name="graphql"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
]

if settings.DEBUG:
    # The admin's CSS and JS under the local ASGI server; production serves collected files.
    urlpatterns += staticfiles_urlpatterns()
