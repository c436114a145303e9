"""The twelve mutations: what they write, and every way a client can get them wrong."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from edge.context import CSRF_FAILED
from schema.ids import global_id
from schema.permissions import LOGIN_REQUIRED, STAFF_REQUIRED
from talks.models import Event, Speaker, Talk, TalkSpeaker, Topic
from tests.conftest import GraphQLClient
from tests.factories import EventFactory, SpeakerFactory, TalkFactory, TopicFactory

PAYLOAD = """__typename
  ... on OperationInfo { messages { kind message field code } }"""

CREATE_TALK = f"""mutation ($input: CreateTalkInput!) {{ createTalk(input: $input) {{ {PAYLOAD}
  ... on Talk {{ id slug title kind level durationMinutes event {{ slug }} speakers {{ slug }}
    topics {{ slug }} }} }} }}"""
UPDATE_TALK = f"""mutation ($input: UpdateTalkInput!) {{ updateTalk(input: $input) {{ {PAYLOAD}
  ... on Talk {{ slug title abstract level speakers {{ slug }} topics {{ slug }} }} }} }}"""


def mutate(gql, name: str, input_type: str, fields: str, variables: dict) -> dict:
    query = f"""mutation ($input: {input_type}!) {{ {name}(input: $input) {{ {PAYLOAD}
      {fields} }} }}"""
    return gql(query, {"input": variables})[name]


def messages(result: dict) -> set[tuple]:
    assert result["__typename"] == "OperationInfo", result
    return {(m["field"], m["code"]) for m in result["messages"]}


def snapshot():
    return [
        list(m.objects.order_by("pk").values()) for m in (Event, Speaker, Topic, Talk, TalkSpeaker)
    ]


# --- happy paths ----------------------------------------------------------------------


def test_create_talk_writes_what_it_returns(staff_gql):
    event, topic = EventFactory(slug="dcus11"), TopicFactory(slug="caching")
    burch, silas = SpeakerFactory(slug="jacob-burch"), SpeakerFactory(slug="noah-silas")
    result = staff_gql(
        CREATE_TALK,
        {
            "input": {
                "title": "Cache Rules Everything Around Me",
                "event": global_id("Event", event.pk),
                "speakers": [global_id("Speaker", silas.pk), global_id("Speaker", burch.pk)],
                "topics": [global_id("Topic", topic.pk)],
                "kind": "KEYNOTE",
                "durationMinutes": 40,
            }
        },
    )["createTalk"]
    assert result["__typename"] == "Talk"
    assert result["slug"] == "cache-rules-everything-around-me"
    assert result["speakers"] == [{"slug": "noah-silas"}, {"slug": "jacob-burch"}]
    talk = Talk.objects.get(slug="cache-rules-everything-around-me")
    assert result["id"] == global_id("Talk", talk.pk)
    assert (talk.kind, talk.duration_minutes, talk.event) == ("keynote", 40, event)
    assert list(talk.talk_speakers.order_by("position").values_list("speaker", flat=True)) == [
        silas.pk,
        burch.pk,
    ]
    assert list(talk.topics.all()) == [topic]


def test_update_talk_changes_only_given_fields(staff_gql):
    a, b = SpeakerFactory(slug="a"), SpeakerFactory(slug="b")
    talk = TalkFactory(title="Old", abstract="Keep me", level="beginner", speakers=[a, b])
    result = staff_gql(
        UPDATE_TALK,
        {
            "input": {
                "id": global_id("Talk", talk.pk),
                "title": "New",
                "level": None,
                "speakers": [global_id("Speaker", b.pk)],
            }
        },
    )["updateTalk"]
    assert result == {
        "__typename": "Talk",
        "slug": talk.slug,
        "title": "New",
        "abstract": "Keep me",
        "level": None,
        "speakers": [{"slug": "b"}],
        "topics": [],
    }
    talk.refresh_from_db()
    assert (talk.title, talk.abstract, talk.level) == ("New", "Keep me", None)


@pytest.mark.parametrize("kind", ["Event", "Speaker", "Topic"])
def test_create_update_delete_simple_objects(staff_gql, kind):
    model = {"Event": Event, "Speaker": Speaker, "Topic": Topic}[kind]
    created = mutate(
        staff_gql,
        f"create{kind}",
        f"Create{kind}Input",
        f"... on {kind} {{ id slug name }}",
        {"name": "Python Bytes"},
    )
    assert created["slug"] == "python-bytes"
    obj = model.objects.get(slug="python-bytes")
    updated = mutate(
        staff_gql,
        f"update{kind}",
        f"Update{kind}Input",
        f"... on {kind} {{ name slug }}",
        {"id": created["id"], "name": "Python Bytes FM"},
    )
    assert updated == {"__typename": kind, "name": "Python Bytes FM", "slug": "python-bytes"}
    assert model.objects.get(pk=obj.pk).name == "Python Bytes FM"
    deleted = mutate(
        staff_gql,
        f"delete{kind}",
        "DeleteInput",
        "... on DeletedNode { id }",
        {"id": created["id"]},
    )
    assert deleted == {"__typename": "DeletedNode", "id": created["id"]}
    assert not model.objects.filter(pk=obj.pk).exists()


def test_delete_talk(staff_gql):
    talk = TalkFactory(speakers=[SpeakerFactory()])
    result = mutate(
        staff_gql,
        "deleteTalk",
        "DeleteInput",
        "... on DeletedNode { id }",
        {"id": global_id("Talk", talk.pk)},
    )
    assert result["id"] == global_id("Talk", talk.pk)
    assert not Talk.objects.exists() and not TalkSpeaker.objects.exists()


def test_create_event_with_every_field(staff_gql):
    result = mutate(
        staff_gql,
        "createEvent",
        "CreateEventInput",
        "... on Event { kind startsOn endsOn city country url description }",
        {
            "name": "DjangoCon Europe 2019",
            "kind": "CONFERENCE",
            "startsOn": "2019-04-10",
            "endsOn": "2019-04-14",
            "city": "Copenhagen",
            "country": "Denmark",
            "url": "https://2019.djangocon.eu/",
            "description": "No simultaneous talks.",
        },
    )
    assert result["city"] == "Copenhagen" and result["endsOn"] == "2019-04-14"


# --- every client mistake is an OperationInfo and writes nothing ---------------------


@pytest.mark.parametrize(
    ("input_patch", "expected"),
    [
        ({"title": "   "}, {("title", "required")}),
        ({"title": "x" * 501}, {("title", "max_length")}),
        ({"videoUrl": "not a url"}, {("videoUrl", "invalid")}),
        ({"durationMinutes": 0}, {("durationMinutes", "min_value")}),
        ({"durationMinutes": -3}, {("durationMinutes", "min_value")}),
        ({"slug": "taken"}, {("slug", "unique")}),
        ({"slug": "Not a slug!"}, {("slug", "invalid")}),
        ({"event": "garbage"}, {("event", "invalid_id")}),
        ({"event": "U3BlYWtlcjox"}, {("event", "wrong_type")}),
        ({"event": global_id("Event", 999_999)}, {("event", "not_found")}),
        ({"speakers": [global_id("Speaker", 999_999)]}, {("speakers", "not_found")}),
        ({"topics": [global_id("Event", 1)]}, {("topics", "wrong_type")}),
        ({"language": ""}, {("language", "required")}),
    ],
)
def test_talk_mistakes(staff_gql, input_patch, expected):
    event = EventFactory()
    TalkFactory(slug="taken")
    before = snapshot()
    result = staff_gql(
        CREATE_TALK,
        {"input": {"title": "Fine", "event": global_id("Event", event.pk), **input_patch}},
    )["createTalk"]
    assert messages(result) == expected
    assert all(m["kind"] == "VALIDATION" and m["message"] for m in result["messages"])
    assert snapshot() == before


def test_title_with_only_spaces_is_required_not_stripped_silently(staff_gql):
    event = EventFactory()
    result = staff_gql(
        CREATE_TALK, {"input": {"title": "   ", "event": global_id("Event", event.pk)}}
    )
    assert result["createTalk"]["messages"][0]["message"] == "This field is required."


def test_same_speaker_twice(staff_gql):
    event, speaker = EventFactory(), SpeakerFactory()
    sid = global_id("Speaker", speaker.pk)
    result = staff_gql(
        CREATE_TALK,
        {
            "input": {
                "title": "Twice",
                "event": global_id("Event", event.pk),
                "speakers": [sid, sid],
            }
        },
    )
    assert messages(result["createTalk"]) == {("speakers", "duplicate")}
    assert not Talk.objects.exists()


def test_many_mistakes_many_messages(staff_gql):
    result = staff_gql(
        CREATE_TALK,
        {
            "input": {
                "title": "",
                "event": global_id("Event", 424242),
                "speakers": ["bad"],
                "durationMinutes": 0,
                "videoUrl": "nope",
            }
        },
    )["createTalk"]
    assert messages(result) == {
        ("title", "required"),
        ("event", "not_found"),
        ("speakers", "invalid_id"),
        ("durationMinutes", "min_value"),
        ("videoUrl", "invalid"),
    }


def test_null_for_a_required_field_on_update(staff_gql):
    talk = TalkFactory(title="Stays")
    for field in ("title", "event", "language"):
        result = staff_gql(UPDATE_TALK, {"input": {"id": global_id("Talk", talk.pk), field: None}})
        assert messages(result["updateTalk"]) == {(field, "required")}
    talk.refresh_from_db()
    assert talk.title == "Stays"


def test_event_ending_before_it_starts(staff_gql):
    result = mutate(
        staff_gql,
        "createEvent",
        "CreateEventInput",
        "",
        {"name": "Backwards", "startsOn": "2019-04-12", "endsOn": "2019-04-10"},
    )
    assert messages(result) == {("endsOn", "before_start")}
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("mutation", "bad_id", "code"),
    [
        ("updateTalk", global_id("Talk", 999), "not_found"),
        ("updateTalk", "nonsense", "invalid_id"),
        ("updateTalk", global_id("Speaker", 1), "wrong_type"),
    ],
)
def test_update_of_a_missing_or_wrong_id(staff_gql, mutation, bad_id, code):
    result = staff_gql(UPDATE_TALK, {"input": {"id": bad_id, "title": "x"}})["updateTalk"]
    assert messages(result) == {("id", code)}


@pytest.mark.parametrize("kind", ["Event", "Topic", "Speaker"])
def test_deleting_something_that_still_has_talks_is_refused_with_the_count(staff_gql, kind):
    obj = {"Event": EventFactory, "Topic": TopicFactory, "Speaker": SpeakerFactory}[kind]()
    for _ in range(3):
        if kind == "Event":
            TalkFactory(event=obj)
        else:
            TalkFactory(**{f"{kind.lower()}s": [obj]})
    before = snapshot()
    result = mutate(staff_gql, f"delete{kind}", "DeleteInput", "", {"id": global_id(kind, obj.pk)})
    assert messages(result) == {(None, "protected")}
    assert "still has 3 talks" in result["messages"][0]["message"]
    assert snapshot() == before


def test_deleting_an_unknown_id(staff_gql):
    result = mutate(staff_gql, "deleteTopic", "DeleteInput", "", {"id": global_id("Topic", 77)})
    assert messages(result) == {("id", "not_found")}


# --- permissions ----------------------------------------------------------------------

CREATE_TOPIC = f"""mutation {{ createTopic(input: {{name: "Async"}}) {{ {PAYLOAD} }} }}"""


def assert_denied(result: dict, message: str) -> None:
    assert result["__typename"] == "OperationInfo"
    assert [m["kind"] for m in result["messages"]] == ["PERMISSION"]
    assert result["messages"][0]["message"] == message
    assert not Topic.objects.exists()


def test_anonymous_cannot_mutate(gql):
    assert_denied(gql(CREATE_TOPIC)["createTopic"], LOGIN_REQUIRED)


def test_non_staff_token_cannot_mutate(db):
    from talks.tokens import token_create

    user = User.objects.create_user("reader")
    _, secret = token_create(user=user, name="t")
    client = GraphQLClient(Authorization=f"Bearer {secret}")
    assert_denied(client(CREATE_TOPIC)["createTopic"], STAFF_REQUIRED)


def test_session_without_csrf_is_refused_and_with_csrf_allowed(staff_user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff_user)
    session = GraphQLClient(browser)
    assert_denied(session(CREATE_TOPIC)["createTopic"], CSRF_FAILED)
    browser.get("/graphql/", headers={"Accept": "text/html"})  # GraphiQL sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    allowed = GraphQLClient(browser, **{"X-CSRFToken": token})(CREATE_TOPIC)["createTopic"]
    assert allowed == {"__typename": "Topic"}
    assert Topic.objects.filter(name="Async").exists()


def test_reads_stay_public_without_csrf_or_login(gql):
    TopicFactory(name="Async")
    assert gql("{ topics { totalCount } }") == {"topics": {"totalCount": 1}}


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Bearer talks_unknown", "The bearer token is not known."),
        ("Bearer nonsense", "The bearer token is malformed."),
        ("Token abc", "The Authorization header must be `Bearer <token>`."),
        ("Bearer", "The Authorization header must be `Bearer <token>`."),
    ],
)
def test_bad_tokens_are_refused_not_anonymous(db, header, message):
    body = GraphQLClient(Authorization=header).raw(CREATE_TOPIC)
    assert body == {"errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]}
    assert not Topic.objects.exists()


def test_revoked_and_expired_tokens_are_refused(staff_user):
    import datetime

    from django.utils import timezone

    from talks.tokens import token_create, token_revoke

    _, revoked = token_create(user=staff_user, name="old")
    token_revoke(user=staff_user, name="old")
    expired_token, expired = token_create(user=staff_user, name="short", expires_in_days=1)
    expired_token.expires_at = timezone.now() - datetime.timedelta(seconds=1)
    expired_token.save()
    for secret, message in [
        (revoked, "The bearer token was revoked."),
        (expired, "The bearer token has expired."),
    ]:
        body = GraphQLClient(Authorization=f"Bearer {secret}").raw(CREATE_TOPIC)
        assert body["errors"][0]["message"] == message
    assert not Topic.objects.exists()


def test_token_of_a_deactivated_user_is_refused(staff_user):
    from talks.tokens import token_create

    _, secret = token_create(user=staff_user, name="t")
    staff_user.is_active = False
    staff_user.save()
    body = GraphQLClient(Authorization=f"Bearer {secret}").raw(CREATE_TOPIC)
    assert body["errors"][0]["message"] == "The bearer token's user is deactivated."


def test_mutations_record_history_for_the_token_owner(staff_gql, staff_user):
    from django.contrib.admin.models import LogEntry

    staff_gql(CREATE_TOPIC)
    entry = LogEntry.objects.get()
    assert (entry.user, entry.object_repr, entry.action_flag) == (staff_user, "Async", 1)


def test_a_wrong_type_of_id_is_named_with_its_article(staff_gql):
    event = EventFactory()
    result = staff_gql(
        CREATE_TALK,
        {"input": {"title": "Fine", "event": global_id("Speaker", 1), "topics": []}},
    )["createTalk"]
    (message,) = result["messages"]
    assert message["message"] == "Expected the ID of an Event, got the ID of a Speaker."
    assert event.talks.count() == 0
