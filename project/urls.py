from django.contrib import admin
from django.urls import path

from schema.schema import schema
from schema.views import GraphQLView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("graphql/", GraphQLView.for_settings(schema), name="graphql"),
]
