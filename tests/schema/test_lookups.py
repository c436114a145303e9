"""Looking objects up: by global ID, by slug, through `node`, and the client mistakes."""

import base64

import pytest
from strawberry.relay import to_base64

from tests.factories import EventFactory, SpeakerFactory, TalkFactory, TopicFactory


def global_id(type_name: str, pk: int) -> str:
    return to_base64(type_name, pk)


@pytest.fixture
def talk(db):
    return TalkFactory(slug="what-is-a-coroutine", title="What is a Coroutine Anyway?")


@pytest.mark.parametrize("field", ["talk", "speaker", "event", "topic"])
def test_lookup_by_slug_and_by_id_find_the_same_object(gql, field):
    factory = {
        "talk": TalkFactory,
        "speaker": SpeakerFactory,
        "event": EventFactory,
        "topic": TopicFactory,
    }[field]
    obj = factory()
    by_slug = gql(f'{{ {field}(slug: "{obj.slug}") {{ id slug }} }}')[field]
    by_id = gql(f"query ($id: ID) {{ {field}(id: $id) {{ id slug }} }}", {"id": by_slug["id"]})
    assert by_slug == by_id[field] == {"id": global_id(field.title(), obj.pk), "slug": obj.slug}


def test_unknown_slug_and_unknown_id_are_null(gql, talk):
    data = gql(
        'query ($id: ID) { a: talk(slug: "no-such-talk") { id } b: talk(id: $id) { id } }',
        {"id": global_id("Talk", talk.pk + 1000)},
    )
    assert data == {"a": None, "b": None}


def test_neither_id_nor_slug_is_a_clear_error(gql, talk):
    error = gql.error("{ talk { id } }")
    assert error["message"] == "Look a Talk up by exactly one of `id` or `slug`."
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_both_id_and_slug_is_a_clear_error(gql, talk):
    error = gql.error(
        'query ($id: ID) { talk(id: $id, slug: "what-is-a-coroutine") { id } }',
        {"id": global_id("Talk", talk.pk)},
    )
    assert "exactly one of `id` or `slug`" in error["message"]


def test_id_of_another_type_is_a_clear_error(gql, talk):
    speaker = SpeakerFactory()
    error = gql.error(
        "query ($id: ID) { talk(id: $id) { id } }", {"id": global_id("Speaker", speaker.pk)}
    )
    assert error["message"] == "`id` is the ID of a Speaker, not of a Talk."


def test_messages_name_every_type_with_its_article(gql, talk):
    assert gql.error("{ event { id } }")["message"] == (
        "Look an Event up by exactly one of `id` or `slug`."
    )
    error = gql.error(
        "query ($id: ID) { topic(id: $id) { id } }", {"id": global_id("Event", talk.event_id)}
    )
    assert error["message"] == "`id` is the ID of an Event, not of a Topic."


@pytest.mark.parametrize(
    "bad_id",
    [
        "not-base64!",
        base64.b64encode(b"no-colon").decode(),
        to_base64("Talk", "abc"),
        to_base64("User", 1),
        "",
    ],
)
def test_malformed_ids_are_clear_errors(gql, talk, bad_id):
    for query in [
        "query ($id: ID) { talk(id: $id) { id } }",
        "query ($id: ID!) { node(id: $id) { id } }",
    ]:
        error = gql.error(query, {"id": bad_id})
        assert error["message"].startswith("`id` is not a valid ID")


def test_node_resolves_every_type(gql):
    talk = TalkFactory(speakers=[SpeakerFactory()], topics=[TopicFactory()])
    speaker, topic, event = talk.speakers.get(), talk.topics.get(), talk.event
    for type_name, obj, field in [
        ("Talk", talk, "title"),
        ("Speaker", speaker, "name"),
        ("Event", event, "name"),
        ("Topic", topic, "name"),
    ]:
        data = gql(
            f"query ($id: ID!) {{ node(id: $id) {{ __typename id ... on {type_name} {{ {field} }} }} }}",
            {"id": global_id(type_name, obj.pk)},
        )["node"]
        assert data["__typename"] == type_name
        assert data["id"] == global_id(type_name, obj.pk)
        assert data[field] == getattr(obj, field)


def test_node_of_a_deleted_object_is_null(gql):
    topic = TopicFactory()
    topic_id = global_id("Topic", topic.pk)
    topic.delete()
    assert gql("query ($id: ID!) { node(id: $id) { id } }", {"id": topic_id}) == {"node": None}
