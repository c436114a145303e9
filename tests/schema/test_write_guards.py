"""What guards a write: the model permissions the admin asks for (narrowed by an API
token), the version the client read, and the idempotency key of a retried create."""

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import CommandError, call_command

from schema.ids import global_id
from talks.models import IdempotencyKey, Talk, Topic
from talks.tokens import token_create
from tests.conftest import GraphQLClient
from tests.factories import EventFactory, TalkFactory, TopicFactory

pytestmark = pytest.mark.django_db

PAYLOAD = "__typename ... on OperationInfo { messages { kind field code message } }"
CREATE_TOPIC = f"""mutation ($input: CreateTopicInput!) {{ createTopic(input: $input) {{
  {PAYLOAD} ... on Topic {{ id slug name version }} }} }}"""
UPDATE_TOPIC = f"""mutation ($input: UpdateTopicInput!) {{ updateTopic(input: $input) {{
  {PAYLOAD} ... on Topic {{ name version }} }} }}"""
DELETE_TOPIC = f"""mutation ($input: DeleteInput!) {{ deleteTopic(input: $input) {{
  {PAYLOAD} ... on DeletedNode {{ id }} }} }}"""
CREATE_TALK = f"""mutation ($input: CreateTalkInput!) {{ createTalk(input: $input) {{
  {PAYLOAD} ... on Talk {{ id slug version }} }} }}"""


def client_of(user, **token) -> GraphQLClient:
    _, secret = token_create(user=user, name="tests", **token)
    return GraphQLClient(Authorization=f"Bearer {secret}")


def staff_with(*codenames: str, superuser: bool = False) -> User:
    user = User.objects.create_user(
        f"user-{len(codenames)}-{superuser}-{User.objects.count()}",
        is_staff=True,
        is_superuser=superuser,
    )
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def kind_and_code(result: dict) -> tuple | str:
    if result["__typename"] != "OperationInfo":
        return result["__typename"]
    (message,) = result["messages"]
    return message["kind"], message["code"]


ALLOWED, REFUSED = "allowed", ("PERMISSION", "forbidden")


@pytest.mark.parametrize(
    ("codenames", "superuser", "create", "update", "delete"),
    [
        ((), False, REFUSED, REFUSED, REFUSED),
        (("add_topic",), False, ALLOWED, REFUSED, REFUSED),
        (("change_topic",), False, REFUSED, ALLOWED, REFUSED),
        (("delete_topic",), False, REFUSED, REFUSED, ALLOWED),
        (("add_talk", "change_talk", "delete_talk"), False, REFUSED, REFUSED, REFUSED),
        ((), True, ALLOWED, ALLOWED, ALLOWED),
    ],
)
def test_each_mutation_needs_the_permission_the_admin_would(
    codenames, superuser, create, update, delete
):
    outcomes = (create, update, delete)
    gql = client_of(staff_with(*codenames, superuser=superuser))
    topic = TopicFactory()
    results = [
        gql(CREATE_TOPIC, {"input": {"name": "New"}})["createTopic"],
        gql(UPDATE_TOPIC, {"input": {"id": global_id("Topic", topic.pk), "name": "Renamed"}})[
            "updateTopic"
        ],
        gql(DELETE_TOPIC, {"input": {"id": global_id("Topic", topic.pk)}})["deleteTopic"],
    ]
    got = [
        ALLOWED if kind_and_code(r) in ("Topic", "DeletedNode") else kind_and_code(r)
        for r in results
    ]
    assert got == list(outcomes)
    if REFUSED in outcomes:
        message = next(r for r in results if r["__typename"] == "OperationInfo")["messages"][0]
        assert "lacks the permission talks." in message["message"]


def test_a_token_narrowed_to_some_permissions_acts_with_those_only(staff_user):
    narrowed = client_of(staff_user, permissions=["talks.change_topic"])
    topic = TopicFactory()
    renamed = narrowed(UPDATE_TOPIC, {"input": {"id": global_id("Topic", topic.pk), "name": "Ok"}})
    assert renamed["updateTopic"]["name"] == "Ok"
    created = narrowed(CREATE_TOPIC, {"input": {"name": "Not with this token"}})["createTopic"]
    assert kind_and_code(created) == REFUSED
    # The user loses the permission: so does the token.
    staff_user.user_permissions.remove(Permission.objects.get(codename="change_topic"))
    again = narrowed(UPDATE_TOPIC, {"input": {"id": global_id("Topic", topic.pk), "name": "No"}})
    assert kind_and_code(again["updateTopic"]) == REFUSED


def test_a_token_is_never_wider_than_its_user(staff_user):
    plain = User.objects.create_user("plain-staff", is_staff=True)
    with pytest.raises(ValueError, match="can only narrow its user's permissions"):
        token_create(user=plain, name="wider", permissions=["talks.add_topic"])
    with pytest.raises(CommandError, match="is not a permission"):
        call_command("create_api_token", "editor", "--permissions", "talks.fly")
    with pytest.raises(CommandError, match="can only narrow"):
        call_command("create_api_token", "plain-staff", "--permissions", "talks.add_topic")


def test_a_stale_if_version_is_a_conflict_that_writes_nothing(staff_gql):
    topic = TopicFactory(name="First")
    topic_id = global_id("Topic", topic.pk)
    read = staff_gql(f'{{ topic(id: "{topic_id}") {{ version }} }}')["topic"]["version"]
    first = staff_gql(UPDATE_TOPIC, {"input": {"id": topic_id, "name": "A", "ifVersion": read}})
    assert first["updateTopic"]["name"] == "A" and first["updateTopic"]["version"] > read
    second = staff_gql(UPDATE_TOPIC, {"input": {"id": topic_id, "name": "B", "ifVersion": read}})
    (message,) = second["updateTopic"]["messages"]
    assert (message["code"], message["field"]) == ("conflict", "ifVersion")
    current = first["updateTopic"]["version"]
    assert f"it is at version {current}, not {read}" in message["message"]
    deleted = staff_gql(DELETE_TOPIC, {"input": {"id": topic_id, "ifVersion": read}})
    assert deleted["deleteTopic"]["messages"][0]["code"] == "conflict"
    assert Topic.objects.get(pk=topic.pk).name == "A"
    gone = staff_gql(DELETE_TOPIC, {"input": {"id": topic_id, "ifVersion": current}})
    assert gone["deleteTopic"]["__typename"] == "DeletedNode"


def test_a_retried_create_makes_one_object_and_answers_with_it(staff_gql):
    event = EventFactory()
    talk = {"title": "Retried", "event": global_id("Event", event.pk), "idempotencyKey": "k-1"}
    first = staff_gql(CREATE_TALK, {"input": talk})["createTalk"]
    again = staff_gql(CREATE_TALK, {"input": talk})["createTalk"]
    assert first["__typename"] == "Talk" and again == first
    assert Talk.objects.filter(title="Retried").count() == 1
    other = staff_gql(CREATE_TALK, {"input": {**talk, "title": "Another"}})["createTalk"]
    (message,) = other["messages"]
    assert (message["code"], message["field"]) == ("idempotency_key_reused", "idempotencyKey")
    assert not Talk.objects.filter(title="Another").exists()
    # The key is the user's: another user's same key is another request.
    assert IdempotencyKey.objects.count() == 1


def test_an_idempotency_key_lapses_after_a_day_and_must_be_storable(staff_gql):
    topic = {"name": "Daily", "idempotencyKey": "daily"}
    first = staff_gql(CREATE_TOPIC, {"input": topic})["createTopic"]
    IdempotencyKey.objects.update(created_at="2000-01-01T00:00:00Z")
    second = staff_gql(CREATE_TOPIC, {"input": {**topic, "name": "Daily again"}})["createTopic"]
    assert second["__typename"] == "Topic" and second["id"] != first["id"]
    for key, code in (
        ("x" * 256, "max_length"),
        ("a\u0000b", "null_characters_not_allowed"),
        ("  ", "blank"),
    ):
        refused = staff_gql(CREATE_TOPIC, {"input": {"name": "Keyed", "idempotencyKey": key}})
        (message,) = refused["createTopic"]["messages"]
        assert (message["field"], message["code"]) == ("idempotencyKey", code)
    assert not Topic.objects.filter(name="Keyed").exists()


def test_every_object_shows_its_version(gql):
    talk = TalkFactory()
    data = gql(f'{{ talk(slug: "{talk.slug}") {{ version event {{ version }} }} }}')["talk"]
    assert data["version"] >= 1 and data["event"]["version"] >= 1
