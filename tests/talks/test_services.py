"""The write rules, enforced in one place and all-or-nothing."""

import datetime

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.models import User
from django.db import IntegrityError

from talks import services
from talks.models import ENDS_BEFORE_STARTS, Event, Talk, TalkSpeaker, Topic
from talks.services import ApplicationError, Problem, Protected
from tests.factories import EventFactory, SpeakerFactory, TalkFactory, TopicFactory

pytestmark = pytest.mark.django_db


def problems(error: ApplicationError) -> set[tuple[str | None, str]]:
    return {(p.field, p.code) for p in error.problems}


def test_slug_is_derived_from_the_title_and_made_unique():
    event = EventFactory()
    first = services.talk_create(title="What is a Coroutine Anyway?", event=event.pk)
    second = services.talk_create(title="What is a coroutine, anyway", event=event.pk)
    assert (first.slug, second.slug) == (
        "what-is-a-coroutine-anyway",
        "what-is-a-coroutine-anyway-2",
    )


def test_slug_of_a_title_without_latin_letters_falls_back_to_the_type():
    event = EventFactory()
    assert services.talk_create(title="非同期", event=event.pk).slug == "talk"


def test_slug_stays_when_the_title_changes_unless_given():
    talk = services.talk_create(title="Old title", event=EventFactory().pk)
    services.talk_update(talk=talk, title="New title")
    assert Talk.objects.get(pk=talk.pk).slug == "old-title"
    services.talk_update(talk=talk, slug="new-title")
    assert Talk.objects.get(pk=talk.pk).slug == "new-title"


def test_a_chosen_slug_that_is_taken_is_a_unique_problem():
    event = EventFactory(slug="taken")
    with pytest.raises(ApplicationError) as raised:
        services.event_create(name="Other", slug="taken")
    assert problems(raised.value) == {("slug", "unique")}
    assert raised.value.problems[0].message == services.SLUG_TAKEN.format(
        slug="taken", model="event"
    )
    assert Event.objects.get() == event


def test_every_problem_is_reported_at_once_and_nothing_is_written():
    speaker = SpeakerFactory()
    with pytest.raises(ApplicationError) as raised:
        services.talk_create(
            title="",
            event=999_999,
            speakers=[speaker.pk, speaker.pk, 888_888],
            duration_minutes=0,
            video_url="not a url",
            kind="keynote-ish",
        )
    assert problems(raised.value) == {
        ("title", "required"),
        ("event", "not_found"),
        ("speakers", "duplicate"),
        ("speakers", "not_found"),
        ("duration_minutes", "min_value"),
        ("video_url", "invalid"),
        ("kind", "invalid_choice"),
    }
    assert not Talk.objects.exists()


def test_too_long_values_are_problems():
    with pytest.raises(ApplicationError) as raised:
        services.topic_create(name="x" * 201)
    assert problems(raised.value) == {("name", "max_length")}


def test_event_cannot_end_before_it_starts():
    with pytest.raises(ApplicationError) as raised:
        services.event_create(
            name="Backwards",
            starts_on=datetime.date(2019, 4, 12),
            ends_on=datetime.date(2019, 4, 10),
        )
    assert raised.value.problems == [Problem(ENDS_BEFORE_STARTS, "ends_on", "before_start")]


def test_update_changes_only_given_fields_and_null_clears():
    talk = TalkFactory(abstract="Something", level="beginner", duration_minutes=30)
    services.talk_update(talk=talk, abstract=None, level=None)
    talk = Talk.objects.get(pk=talk.pk)
    assert (talk.abstract, talk.level, talk.duration_minutes) == ("", None, 30)


def test_update_replaces_speakers_in_the_new_order():
    a, b, c = SpeakerFactory.create_batch(3)
    talk = TalkFactory(speakers=[a, b])
    services.talk_update(talk=talk, speakers=[c.pk, a.pk])
    assert list(
        TalkSpeaker.objects.filter(talk=talk)
        .order_by("position")
        .values_list("speaker_id", flat=True)
    ) == [c.pk, a.pk]


@pytest.mark.parametrize(
    ("factory", "delete", "link"),
    [
        (EventFactory, services.event_delete, lambda obj: TalkFactory(event=obj)),
        (TopicFactory, services.topic_delete, lambda obj: TalkFactory(topics=[obj])),
        (SpeakerFactory, services.speaker_delete, lambda obj: TalkFactory(speakers=[obj])),
    ],
)
def test_objects_with_talks_cannot_be_deleted(factory, delete, link):
    obj = factory()
    link(obj)
    link(obj)
    with pytest.raises(Protected) as raised:
        delete(obj)
    assert raised.value.problems[0].code == "protected"
    assert "still has 2 talks" in raised.value.problems[0].message
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_deleting_a_talk_removes_its_links_not_its_speakers():
    speaker, topic = SpeakerFactory(), TopicFactory()
    talk = TalkFactory(speakers=[speaker], topics=[topic])
    services.talk_delete(talk=talk)
    assert not TalkSpeaker.objects.exists()
    assert speaker.__class__.objects.filter(pk=speaker.pk).exists()
    assert Topic.objects.filter(pk=topic.pk).exists()


def test_a_failure_after_the_talk_row_is_written_leaves_nothing(monkeypatch):
    """Fault injected after INSERT INTO talk and the speaker links: all rolled back."""
    event, speaker = EventFactory(), SpeakerFactory()

    def fail(talk, topics):
        assert Talk.objects.filter(pk=talk.pk).exists()
        assert TalkSpeaker.objects.filter(talk=talk).exists()
        raise IntegrityError("injected failure")

    monkeypatch.setattr(services, "_set_topics", fail)
    with pytest.raises(IntegrityError):
        services.talk_create(title="Doomed", event=event.pk, speakers=[speaker.pk])
    assert not Talk.objects.exists()
    assert not TalkSpeaker.objects.exists()


def test_history_records_who_changed_what():
    editor = User.objects.create_user("editor", is_staff=True)
    talk = services.talk_create(actor=editor, title="Logged", event=EventFactory().pk)
    services.talk_update(
        actor=editor, talk=talk, title="Logged again", speakers=[SpeakerFactory().pk]
    )
    services.talk_update(actor=editor, talk=talk, title="Logged again")  # no change, no entry
    talk_pk = talk.pk
    services.talk_delete(actor=editor, talk=talk)
    entries = LogEntry.objects.filter(object_id=str(talk_pk)).order_by("id")
    assert [e.action_flag for e in entries] == [ADDITION, CHANGE, DELETION]
    assert all(e.user == editor for e in entries)
    assert entries[1].get_change_message() == "Changed Title and Speakers."
