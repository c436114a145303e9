"""Django admin for editors: searchable, filterable, and a few indexed statements per
change-list page, whatever the size of the catalogue (a million talks included)."""

from django import forms
from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db import models
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join

from internals import mark_saved
from talks import event_parts, scheduling, search, selectors, services
from talks.models import (
    ApiToken,
    Event,
    PersistedOperation,
    Room,
    Speaker,
    Talk,
    TalkSpeaker,
    Topic,
    Track,
    Webhook,
)

admin.site.site_header = admin.site.site_title = "Conference talks"
admin.site.index_title = "Catalogue"


def _copy_saved(saved: models.Model, obj: models.Model) -> None:
    """Give the admin's in-memory object what the service stored."""
    for field in saved._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    mark_saved(obj, saved)


class CataloguePaginator(Paginator):
    """Counts a change list as the API counts its lists (`selectors.counted`): a whole
    table by its kept row count, a filtered list exactly up to 10,000 rows and by the
    planner's estimate above, rather than counting a million rows for each page."""

    @cached_property
    def count(self) -> int:
        return selectors.counted(self.object_list).rows


class VersionedForm(forms.ModelForm):
    """A change form that carries the version it showed, and refuses to save over a
    change someone else made meanwhile, as the API refuses a stale `ifVersion`."""

    # (a name of its own: a form may not name the model's field, which is not editable)
    read_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["read_version"].initial = self.instance.version

    def clean(self) -> dict:
        cleaned = super().clean()
        read = cleaned.get("read_version")
        if self.instance.pk is not None and read is not None:
            model = type(self.instance)
            rows = model.objects.filter(pk=self.instance.pk).values_list("version", flat=True)
            current = rows.first()
            if current is not None and current != read:
                raise forms.ValidationError(
                    services.CHANGED_MEANWHILE.format(
                        model=model._meta.verbose_name, current=current, expected=read
                    )
                    + " Open it again to see what changed.",
                    code="conflict",
                )
        return cleaned


class CatalogueAdmin(admin.ModelAdmin):
    """Saves and deletes through talks.services, so the admin keeps the API's rules.

    The admin records its own history entries, so the services get no actor here.
    """

    form = VersionedForm
    paginator = CataloguePaginator
    # A filtered list says "N results" without counting the whole table again.
    show_full_result_count = False

    # A URL typed without a scheme means https (Django 6's default, adopted now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    readonly_fields = ["created_at", "updated_at"]
    writes: services.Writes | services.NamedObjects  # the model's create, update, delete

    def scalar_fields(self, form) -> dict:
        """The form's values but its many-to-many ones, which `save_related` saves."""
        many = {field.name for field in self.model._meta.many_to_many}
        return {name: value for name, value in form.cleaned_data.items() if name not in many}

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if any("read_version" in options["fields"] for _, options in fieldsets):
            return fieldsets
        (name, options), *others = fieldsets
        return [(name, {**options, "fields": [*options["fields"], "read_version"]}), *others]

    def save_model(self, request, obj, form, change) -> None:
        fields = self.scalar_fields(form)
        read = fields.pop("read_version", None)
        if change:
            try:
                saved = self.writes.update(obj, if_version=read, **fields)
            except services.Conflict as conflict:  # changed between the form's check and now
                self.message_user(request, str(conflict), messages.ERROR)
                return
        else:
            saved = self.writes.create(**fields)
        _copy_saved(saved, obj)

    def delete_model(self, request, obj) -> None:
        self.writes.delete(obj)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            try:
                self.delete_model(request, obj)
            except services.Protected as refused:
                self.message_user(request, f"{obj}: {refused}", messages.WARNING)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Anything that still has talks stays; the services refuse it too.
        if obj is not None and obj.talks.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Event)
class EventAdmin(CatalogueAdmin):
    writes = services.EVENTS
    list_display = ["name", "kind", "starts_on", "ends_on", "city", "country", "talk_count"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "slug", "city", "country"]
    prepopulated_fields = {"slug": ["name"]}
    date_hierarchy = "starts_on"
    # The order of the event_starts_desc index (nulls last), so a page is an index range.
    ordering = [F("starts_on").desc(nulls_last=True), "-id"]

    @admin.display(description="Talks", ordering="talks_counted")
    def talk_count(self, obj) -> str:
        talks = reverse("admin:talks_talk_changelist")
        return format_html('<a href="{}?event={}">{}</a>', talks, obj.pk, obj.talks_counted)

    def get_queryset(self, request):
        # Counted for the page's events only, by the talks' event index.
        return selectors.with_talk_counts(super().get_queryset(request))


@admin.register(Speaker)
class SpeakerAdmin(CatalogueAdmin):
    writes = services.SPEAKERS
    list_display = ["name", "affiliation", "twitter", "github", "talk_count"]
    search_fields = ["name", "slug", "affiliation", "twitter", "github"]
    prepopulated_fields = {"slug": ["name"]}
    ordering = ["name", "id"]


@admin.register(Topic)
class TopicAdmin(CatalogueAdmin):
    writes = services.TOPICS
    list_display = ["name", "slug", "talk_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    ordering = ["name", "id"]


class RecentEventFilter(admin.SimpleListFilter):
    """Talks (rooms, tracks) of one event: the latest events to pick from, and any event
    by the link from its talk count in the event list. (Listing every event would read
    the whole event table, and offer thousands of links: 0.7 s a room list at 1M talks.)"""

    title = "event"
    parameter_name = "event"
    SHOWN = 20

    def lookups(self, request, model_admin):
        shown = list(
            Event.objects.order_by(F("starts_on").desc(nulls_last=True), "-id").values_list(
                "pk", "name"
            )[: self.SHOWN]
        )
        chosen = self.value()
        if chosen and chosen.isdigit() and all(str(pk) != chosen for pk, _ in shown):
            shown += Event.objects.filter(pk=int(chosen)).values_list("pk", "name")
        return [(str(pk), name) for pk, name in shown]

    def queryset(self, request, queryset):
        chosen = self.value()
        if chosen is None:
            return queryset
        return queryset.filter(event_id=int(chosen)) if chosen.isdigit() else queryset.none()


class EventPartAdmin(CatalogueAdmin):
    """An event's rooms or tracks: their slug is unique within the event."""

    list_filter = [RecentEventFilter]
    search_fields = ["name", "slug", "event__name"]
    autocomplete_fields = ["event"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["event"]

    def scalar_fields(self, form) -> dict:
        fields = super().scalar_fields(form)
        fields["event"] = fields["event"].pk
        return fields


@admin.register(Room)
class RoomAdmin(EventPartAdmin):
    writes = event_parts.ROOMS
    list_display = ["name", "event", "position", "capacity"]
    ordering = ["event", "position", "id"]


@admin.register(Track)
class TrackAdmin(EventPartAdmin):
    writes = event_parts.TRACKS
    list_display = ["name", "event", "color"]
    ordering = ["event", "name", "id"]


# The talk form's slot fields, by the names the schedule's services give them.
SLOT_FIELDS = {"start": "starts_at", "end": "ends_at", "room": "room", "track": "track"}


class TalkForm(VersionedForm):
    """Checks the slot as the schedule's services do (`scheduling.slot_problems`), so a
    conflict is shown on the form rather than refused at save."""

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors or cleaned.get("event") is None:
            return cleaned
        talk = Talk(pk=self.instance.pk, event=cleaned["event"])
        for name in SLOT_FIELDS.values():
            setattr(talk, name, cleaned.get(name))
        speakers = []
        if self.instance.pk is not None:
            speakers = list(self.instance.talk_speakers.values_list("speaker_id", flat=True))
        for problem in scheduling.slot_problems(talk, speakers):
            field = SLOT_FIELDS.get(problem.field or "")
            self.add_error(field if field in self.fields else None, problem.message)
        return cleaned


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
    writes = services.TALKS
    form = TalkForm
    list_display = [
        "title",
        "event",
        "kind",
        "level",
        "language",
        "recorded_on",
        "duration_minutes",
    ]
    list_filter = ["kind", "level", "language", RecentEventFilter]
    list_select_related = ["event"]
    # Searched with the API's full-text index (get_search_results), not LIKE over joins.
    search_fields = ["title"]
    search_help_text = (
        "Words of the title, abstract, speakers, topics or event, as the API searches: "
        '"quoted phrases", -excluded, or; typos forgiven.'
    )
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["event"]
    filter_horizontal = ["topics"]
    inlines = [TalkSpeakerInline]
    date_hierarchy = "recorded_on"
    # The order of the talk_recorded_desc index (nulls last), so a page is an index range.
    ordering = [F("recorded_on").desc(nulls_last=True), "-id"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "event", "kind", "level", "language"]}),
        ("Recording", {"fields": ["recorded_on", "duration_minutes", "video_url", "slides_url"]}),
        ("Content", {"fields": ["abstract", "topics"]}),
        ("Schedule", {"fields": ["starts_at", "ends_at", "room", "track"]}),
        ("History", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def scalar_fields(self, form) -> dict:
        fields = super().scalar_fields(form)
        fields["event"] = fields["event"].pk
        for name, field in SLOT_FIELDS.items():
            value = fields.pop(field, None)
            fields[name] = value.pk if isinstance(value, models.Model) else value
        return fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("room", "track"):  # the rooms and tracks of the talk's event
            talk_id = str(request.resolver_match.kwargs.get("object_id", ""))
            event = Talk.objects.filter(pk=int(talk_id) if talk_id.isdigit() else None)
            event = event.values("event_id")
            kwargs["queryset"] = db_field.related_model.objects.filter(event__in=event)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        # The year links of the date drill-down come from every row of the list: 540 ms
        # for a search for "python" at a million talks. A list the API would not count
        # exactly goes without them (narrow it first, by a filter or a search).
        if changelist.result_count > selectors.counts.COUNT_EXACT_UP_TO:
            changelist.date_hierarchy = None
        return changelist

    def has_delete_permission(self, request, obj=None) -> bool:
        return admin.ModelAdmin.has_delete_permission(self, request, obj)

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        try:
            matching = selectors.conditions(selectors.TalkFilters(search=search_term))
        except search.EmptySearch:  # no letters or digits: nothing matches
            return queryset.none(), False
        return queryset.filter(matching), False

    def save_related(self, request, form, formsets, change) -> None:
        """Speakers from the inline (by position, then row) and topics, via the service."""
        billed = []
        for formset in formsets:
            if formset.model is not TalkSpeaker:
                continue
            # The service replaces the billing wholesale; the admin's history message
            # reads these lists, which formset.save() would have filled.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            for row, inline in enumerate(formset.forms):
                data = inline.cleaned_data
                if data and not data.get("DELETE") and data.get("speaker"):
                    billed.append((data.get("position") or 0, row, data["speaker"].pk))
        services.talk_update(
            talk=Talk.objects.get(pk=form.instance.pk),
            speakers=[pk for _, _, pk in sorted(billed)],
            topics=[topic.pk for topic in form.cleaned_data.get("topics", [])],
        )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created with `manage.py create_api_token`; here they are seen and revoked."""

    list_display = [
        "name",
        "user",
        "prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["name", "user__username", "prefix"]
    readonly_fields = ["user", "name", "prefix", "created_at", "last_used_at"]
    fields = ["user", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} token(s).")


@admin.register(PersistedOperation)
class PersistedOperationAdmin(admin.ModelAdmin):
    """The safelist, to read: `manage.py register_operations` adds and prunes it (and
    clears the cache), so nothing is edited here."""

    list_display = ["name", "sha256", "registered_at"]
    search_fields = ["name", "sha256", "query"]
    fields = ["name", "sha256", "query", "registered_at"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    """Webhooks are created and deleted through the API (`createWebhook`); here they are
    seen with their recent deliveries, and deleted."""

    list_display = ["url", "user", "types", "event_id", "created_at", "done_through"]
    list_select_related = ["user"]
    search_fields = ["url", "user__username"]
    fields = ["url", "user", "types", "event_id", "created_at", "done_through", "recent"]
    readonly_fields = fields
    RECENT = 20

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Recent deliveries")
    def recent(self, obj) -> str:
        rows = obj.deliveries.order_by("-change_id")[: self.RECENT]
        return (
            format_html_join(
                "",
                "<div>change {}: {} after {} attempt(s){}</div>",
                (
                    (
                        row.change_id,
                        row.status,
                        row.attempts,
                        f" (last: {row.last_status_code or row.last_error})"
                        if row.status != "delivered"
                        else "",
                    )
                    for row in rows
                ),
            )
            or "none yet"
        )
