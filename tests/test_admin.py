"""The Django admin works for editors and its change lists do not grow with the page."""

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import EventFactory, SpeakerFactory, TalkFactory, TopicFactory


@pytest.fixture
def editor(client, db):
    user = User.objects.create_user("editor", password="x", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def make_talks(n: int) -> None:
    for _ in range(n):
        TalkFactory(
            speakers=[SpeakerFactory(), SpeakerFactory()],
            topics=[TopicFactory()],
            event=EventFactory(),
        )


@pytest.mark.parametrize("model", ["talk", "speaker", "event", "topic"])
def test_change_list_query_count_does_not_grow(editor, model):
    make_talks(3)
    with CaptureQueriesContext(connection) as few:
        assert editor.get(f"/admin/talks/{model}/").status_code == 200
    make_talks(30)
    with CaptureQueriesContext(connection) as many:
        assert editor.get(f"/admin/talks/{model}/").status_code == 200
    assert len(few.captured_queries) == len(many.captured_queries)


def test_talk_change_form_has_speakers_inline_and_topic_picker(editor):
    talk = TalkFactory(
        speakers=[SpeakerFactory(name="Jacob Burch"), SpeakerFactory(name="Noah Silas")]
    )
    page = editor.get(f"/admin/talks/talk/{talk.pk}/change/").content.decode()
    assert "speakers (in billing order)" in page.lower()
    assert "Jacob Burch" in page and "Noah Silas" in page
    assert "selectfilter" in page.lower()  # filter_horizontal's filtered picker


def test_search_and_filters(editor):
    TalkFactory(title="Cache Rules Everything Around Me", kind="keynote")
    TalkFactory(title="Something else")
    found = editor.get("/admin/talks/talk/", {"q": "cache rules"}).content.decode()
    assert "Cache Rules Everything Around Me" in found and "Something else" not in found
    keynotes = editor.get("/admin/talks/talk/", {"kind__exact": "keynote"}).content.decode()
    assert "Cache Rules" in keynotes and "Something else" not in keynotes


def test_speaker_change_list_shows_talk_counts(editor):
    speaker = SpeakerFactory(name="Andrew Godwin")
    TalkFactory(speakers=[speaker])
    TalkFactory(speakers=[speaker])
    page = editor.get("/admin/talks/speaker/").content.decode()
    assert '<td class="field-talk_count">2</td>' in page


def test_anonymous_users_are_sent_to_log_in(client, db):
    response = client.get("/admin/talks/talk/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
