"""The Django admin works for editors and its change lists do not grow with the page."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from talks.admin import RecentEventFilter
from talks.search import refresh_talk_search
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


# What a change list page runs, whatever the catalogue's size: the session and the
# user, the page, its count (a kept row count unless filtered), and what the page's
# filters and date drill-down need.
CHANGE_LIST_STATEMENTS = {"talk": 8, "speaker": 4, "event": 7, "topic": 4}


@pytest.mark.parametrize("model", sorted(CHANGE_LIST_STATEMENTS))
def test_change_list_statements_are_pinned(editor, model):
    make_talks(5)
    with CaptureQueriesContext(connection) as page:
        assert editor.get(f"/admin/talks/{model}/").status_code == 200
    statements = [query["sql"] for query in page.captured_queries]
    assert len(statements) == CHANGE_LIST_STATEMENTS[model], "\n".join(statements)
    # No change list counts its whole table: the kept row count answers.
    assert not any(sql.startswith("SELECT COUNT(*)") for sql in statements), statements


def test_search_and_filters(editor):
    TalkFactory(title="Cache Rules Everything Around Me", kind="keynote")
    TalkFactory(title="Something else")
    refresh_talk_search()
    found = editor.get("/admin/talks/talk/", {"q": "cache rules"}).content.decode()
    assert "Cache Rules Everything Around Me" in found and "Something else" not in found
    keynotes = editor.get("/admin/talks/talk/", {"kind__exact": "keynote"}).content.decode()
    assert "Cache Rules" in keynotes and "Something else" not in keynotes


def test_talk_search_is_the_api_search(editor):
    speaker = SpeakerFactory(name="Andrew Godwin")
    TalkFactory(title="Channels in depth", speakers=[speaker])
    TalkFactory(title="Retrofitting async", abstract="Making Django asynchronous, slowly.")
    TalkFactory(title="Something else")
    refresh_talk_search()

    def titles(text: str) -> str:
        return editor.get("/admin/talks/talk/", {"q": text}).content.decode()

    by_speaker = titles("godwin")
    assert "Channels in depth" in by_speaker and "Something else" not in by_speaker
    assert "Retrofitting async" in titles("asynchronous")  # the abstract, stemmed
    assert "Retrofitting async" in titles("Retrofiting")  # a typo forgiven
    excluded = titles("channels -depth")
    assert "Channels in depth" not in excluded
    nothing = editor.get("/admin/talks/talk/", {"q": "!!!"})
    assert nothing.status_code == 200 and "0 talks" in nothing.content.decode()


def test_the_date_drill_down_is_offered_on_lists_counted_exactly(editor, monkeypatch):
    from talks import selectors

    for year in (2019, 2020, 2021):
        TalkFactory(recorded_on=datetime.date(year, 5, 1))
    drill_down = 'class="toplinks"'  # the admin's date drill-down
    assert drill_down in editor.get("/admin/talks/talk/").content.decode()
    # Over the cap, its year links would read every talk of the list.
    monkeypatch.setattr(selectors.counts, "COUNT_EXACT_UP_TO", 2)
    with CaptureQueriesContext(connection) as page:
        content = editor.get("/admin/talks/talk/").content.decode()
    assert drill_down not in content and "2020" in content  # the talks are still listed
    assert not any("DATE_TRUNC" in query["sql"].upper() for query in page.captured_queries)


def test_talks_are_filtered_by_an_event_from_the_latest_or_from_its_talk_count(editor):
    old = EventFactory(name="PyCon 1999", starts_on=datetime.date(1999, 4, 1))
    TalkFactory(title="A talk of 1999", event=old)
    for year in range(2001, 2001 + RecentEventFilter.SHOWN):
        TalkFactory(event=EventFactory(starts_on=datetime.date(year, 5, 1)))
    listing = editor.get("/admin/talks/talk/").content.decode()
    assert listing.count("?event=") == RecentEventFilter.SHOWN  # the latest events only
    assert f'?event={old.pk}"' not in listing

    events = editor.get("/admin/talks/event/").content.decode()
    assert f'<a href="/admin/talks/talk/?event={old.pk}">1</a>' in events
    of_old = editor.get("/admin/talks/talk/", {"event": old.pk}).content.decode()
    assert "A talk of 1999" in of_old and "1 talk" in of_old
    assert f'<li class="selected">\n    <a href="?event={old.pk}"' in of_old  # offered, chosen
    bogus = editor.get("/admin/talks/talk/", {"event": "not-a-number"})
    assert bogus.status_code == 200 and "0 talks" in bogus.content.decode()


def test_speaker_change_list_shows_talk_counts(editor):
    speaker = SpeakerFactory(name="Andrew Godwin")
    TalkFactory(speakers=[speaker])
    TalkFactory(speakers=[speaker])
    page = editor.get("/admin/talks/speaker/").content.decode()
    assert '<td class="field-talk_count">2</td>' in page


def test_anonymous_users_are_sent_to_log_in(client, db):
    response = client.get("/admin/talks/talk/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def talk_form(event, speakers, topics, **overrides) -> dict:
    data = {
        "title": "Deployment, Daemons and Datacenters",
        "slug": "deployment-daemons",
        "event": event.pk,
        "kind": "talk",
        "language": "en",
        "abstract": "",
        "topics": [t.pk for t in topics],
        "talk_speakers-TOTAL_FORMS": len(speakers),
        "talk_speakers-INITIAL_FORMS": 0,
        "talk_speakers-MIN_NUM_FORMS": 0,
        "talk_speakers-MAX_NUM_FORMS": 1000,
    }
    for row, (position, speaker) in enumerate(speakers):
        data[f"talk_speakers-{row}-speaker"] = speaker.pk
        data[f"talk_speakers-{row}-position"] = position
    data.update(overrides)
    return data


def test_adding_a_talk_in_the_admin_goes_through_the_service_rules(editor):
    from django.contrib.admin.models import LogEntry

    from talks.models import Talk

    event, topic = EventFactory(), TopicFactory()
    godwin, silas = SpeakerFactory(name="Andrew Godwin"), SpeakerFactory(name="Noah Silas")
    response = editor.post(
        "/admin/talks/talk/add/", talk_form(event, [(1, silas), (0, godwin)], [topic])
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    talk = Talk.objects.get(slug="deployment-daemons")
    billed = talk.talk_speakers.order_by("position").values_list("speaker__name", flat=True)
    assert list(billed) == ["Andrew Godwin", "Noah Silas"]
    assert list(talk.topics.all()) == [topic]
    assert LogEntry.objects.filter(object_id=str(talk.pk), action_flag=1).count() == 1


def test_changing_a_talk_in_the_admin_replaces_speakers_in_order(editor):
    from talks.models import Talk

    a, b = SpeakerFactory(name="A"), SpeakerFactory(name="B")
    talk = TalkFactory(slug="deployment-daemons", speakers=[a, b])
    data = talk_form(talk.event, [(0, b)], [], title="Renamed")
    response = editor.post(f"/admin/talks/talk/{talk.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    talk = Talk.objects.get(pk=talk.pk)
    assert talk.title == "Renamed" and talk.slug == "deployment-daemons"
    assert list(talk.speakers.values_list("name", flat=True)) == ["B"]


def test_admin_refuses_what_the_service_refuses(editor):
    response = editor.post(
        "/admin/talks/event/add/",
        {
            "name": "Backwards",
            "slug": "backwards",
            "kind": "conference",
            "starts_on": "2019-04-12",
            "ends_on": "2019-04-10",
        },
    )
    assert response.status_code == 200
    assert "An event cannot end before it starts." in response.content.decode()


def test_topics_with_talks_cannot_be_deleted_in_the_admin(editor):
    from talks.models import Topic

    topic = TopicFactory()
    TalkFactory(topics=[topic])
    assert editor.post(f"/admin/talks/topic/{topic.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Topic.objects.filter(pk=topic.pk).exists()
    response = editor.post(
        "/admin/talks/topic/",
        {"action": "delete_selected", "_selected_action": [topic.pk], "post": "yes"},
    )
    assert Topic.objects.filter(pk=topic.pk).exists()
    assert response.status_code in (200, 302, 403)


def test_api_tokens_are_listed_and_revocable(editor):
    from django.contrib.auth.models import User

    from talks.tokens import token_create

    token, _ = token_create(user=User.objects.get(username="editor"), name="ci")
    page = editor.get("/admin/talks/apitoken/").content.decode()
    assert token.prefix in page
    assert token.secret_hash not in page
    editor.post("/admin/talks/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_registered_operations_are_listed_but_not_edited(editor):
    from talks.models import PersistedOperation

    PersistedOperation.objects.create(sha256="a" * 64, query="{ talks { totalCount } }", name="N")
    listing = editor.get("/admin/talks/persistedoperation/")
    assert listing.status_code == 200 and "a" * 64 in listing.content.decode()
    assert editor.get("/admin/talks/persistedoperation/add/").status_code == 403
    detail = editor.get(f"/admin/talks/persistedoperation/{'a' * 64}/change/")
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()


def test_the_admin_login_is_throttled_per_account_and_per_address(db, settings):
    settings.ADMIN_LOGIN_FAILURES, settings.ADMIN_LOGIN_FAILURES_PER_ADDRESS = 3, 5
    User.objects.create_user("locked-out", password="right-password-42", is_staff=True)
    User.objects.create_user("other", password="right-password-42", is_staff=True)

    def login(username: str, password: str, address: str):
        client = Client(REMOTE_ADDR=address)
        return client.post("/admin/login/", {"username": username, "password": password})

    for _ in range(3):
        assert (
            "Please enter the correct" in login("locked-out", "wrong", "10.1.0.1").content.decode()
        )
    refused = login("locked-out", "right-password-42", "10.1.0.2").content.decode()
    assert "Too many failed logins" in refused and "Try again in 15 minutes" in refused
    assert login("other", "right-password-42", "10.1.0.2").status_code == 302
    for _ in range(2):  # two more from the first address: five in all from it
        login("other", "wrong", "10.1.0.1")
    assert (
        "Too many failed logins" in login("other", "right-password-42", "10.1.0.1").content.decode()
    )
    assert login("other", "right-password-42", "10.1.0.3").status_code == 302


def test_the_admin_schedules_a_talk_and_shows_a_room_overlap_on_the_form(editor):
    from talks import services
    from talks.models import Talk
    from tests.factories import RoomFactory

    event = EventFactory(starts_on=datetime.date(2026, 5, 14), ends_on=datetime.date(2026, 5, 14))
    room = RoomFactory(event=event, name="Hall A")
    first = TalkFactory(event=event, title="First")
    at = datetime.datetime(2026, 5, 14, 9, tzinfo=datetime.UTC)
    services.talk_update(first, start=at, end=at + datetime.timedelta(hours=1), room=room.pk)
    talk = TalkFactory(event=event, slug="deployment-daemons")
    slot = {
        "starts_at_0": "2026-05-14",
        "starts_at_1": "09:30:00",
        "ends_at_0": "2026-05-14",
        "ends_at_1": "10:30:00",
        "room": room.pk,
    }
    url = f"/admin/talks/talk/{talk.pk}/change/"
    refused = editor.post(url, talk_form(event, [], [], **slot))
    assert refused.status_code == 200
    assert "“Hall A” already has “First”" in refused.content.decode()
    assert Talk.objects.get(pk=talk.pk).starts_at is None
    slot |= {"starts_at_1": "10:00:00", "ends_at_1": "11:00:00"}
    assert editor.post(url, talk_form(event, [], [], **slot)).status_code == 302
    assert Talk.objects.get(pk=talk.pk).room_id == room.pk
