"""Django admin for editors: searchable, filterable, and one query per change-list page."""

from django.contrib import admin
from django.db import models
from django.db.models import Count

from talks.models import Event, Speaker, Talk, TalkSpeaker, Topic


class CatalogueAdmin(admin.ModelAdmin):
    # A URL typed without a scheme means https (Django 6's default, adopted now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    readonly_fields = ["created_at", "updated_at"]


class TalkCountMixin:
    """Shows how many talks an object has, counted in the change list's own query."""

    @admin.display(description="Talks", ordering="talk_count")
    def talk_count(self, obj) -> int:
        return obj.talk_count

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(talk_count=Count("talks", distinct=True))


@admin.register(Event)
class EventAdmin(TalkCountMixin, CatalogueAdmin):
    list_display = ["name", "kind", "starts_on", "ends_on", "city", "country", "talk_count"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "slug", "city", "country"]
    prepopulated_fields = {"slug": ["name"]}
    date_hierarchy = "starts_on"
    ordering = ["-starts_on", "-id"]


@admin.register(Speaker)
class SpeakerAdmin(TalkCountMixin, CatalogueAdmin):
    list_display = ["name", "affiliation", "twitter", "github", "talk_count"]
    search_fields = ["name", "slug", "affiliation", "twitter", "github"]
    prepopulated_fields = {"slug": ["name"]}
    ordering = ["name", "id"]


@admin.register(Topic)
class TopicAdmin(TalkCountMixin, CatalogueAdmin):
    list_display = ["name", "slug", "talk_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    ordering = ["name", "id"]


class TalkSpeakerInline(admin.TabularInline):
    """The talk's speakers in billing order: position 0 is billed first."""

    model = TalkSpeaker
    extra = 1
    autocomplete_fields = ["speaker"]
    ordering = ["position"]
    verbose_name = "speaker"
    verbose_name_plural = "speakers (in billing order)"


@admin.register(Talk)
class TalkAdmin(CatalogueAdmin):
    list_display = [
        "title",
        "event",
        "kind",
        "level",
        "language",
        "recorded_on",
        "duration_minutes",
    ]
    list_filter = ["kind", "level", "language", ("event", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["event"]
    search_fields = ["title", "slug", "abstract", "event__name", "talk_speakers__speaker__name"]
    search_help_text = "Title, slug, abstract, event name or speaker name."
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["event"]
    filter_horizontal = ["topics"]
    inlines = [TalkSpeakerInline]
    date_hierarchy = "recorded_on"
    ordering = ["-recorded_on", "-id"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "event", "kind", "level", "language"]}),
        ("Recording", {"fields": ["recorded_on", "duration_minutes", "video_url", "slides_url"]}),
        ("Content", {"fields": ["abstract", "topics"]}),
        ("History", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]
