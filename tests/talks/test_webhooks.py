"""Webhooks deliver the change log to a real local HTTP receiver: every change once it
is acknowledged, in order, signed so that the Standard Webhooks library verifies it,
retried while the receiver fails, given up after the limit; private URLs refused."""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth.models import Permission, User
from standardwebhooks import Webhook as Verifier

from talks import services
from talks.models import Webhook, WebhookDelivery
from talks.problems import ApplicationError
from talks.webhooks import deliver_due, webhook_create
from tests.conftest import GraphQLClient
from tests.factories import EventFactory, TalkFactory, TopicFactory

pytestmark = pytest.mark.django_db


class Receiver:
    """An HTTP server that answers 500 to the first `failures` requests, then 200."""

    def __init__(self, failures: int = 0) -> None:
        self.failures, self.requests = failures, []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.requests.append((dict(self.headers), body))
                failing = len(receiver.requests) <= receiver.failures
                self.send_response(500 if failing else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    settings.WEBHOOK_RETRY_DELAYS = [0.0]
    made = []

    def make(failures: int = 0) -> Receiver:
        made.append(Receiver(failures))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


@pytest.fixture
def owner(db):
    return User.objects.create_user("hooks", is_staff=True)


def deliver_all(rounds: int = 10) -> None:
    for _ in range(rounds):
        deliver_due()


def test_a_failing_receiver_gets_every_change_once_in_order_and_signed(receiver, owner):
    TopicFactory(name="Before")  # logged before the webhook: not sent
    hook = receiver(failures=2)
    webhook, secret = webhook_create(actor=owner, url=hook.url)
    topics = [services.topic_create(name=f"Topic {n}") for n in range(3)]
    deliver_all()
    acknowledged = [(h, b) for h, b in hook.requests[2:]]
    bodies = [Verifier(secret).verify(body, headers) for headers, body in acknowledged]
    assert [b["data"]["action"] for b in bodies] == ["CREATED"] * 3
    assert [b["data"]["version"] for b in bodies] == [1, 1, 1]
    assert len({b["data"]["nodeId"] for b in bodies}) == 3 and len(topics) == 3
    ids = [int(b["data"]["id"]) for b in bodies]
    assert ids == sorted(ids)
    # the two failures were the first change, with the same webhook-id as its success
    assert {h["webhook-id"] for h, _ in hook.requests[:3]} == {str(ids[0])}
    assert hook.requests[0][0]["webhook-signature"].startswith("v1,")
    first = WebhookDelivery.objects.get(webhook=webhook, change_id=ids[0])
    assert (first.status, first.attempts) == ("delivered", 3)


def test_a_change_is_given_up_after_the_limit_and_the_next_one_goes(receiver, owner, settings):
    settings.WEBHOOK_GIVE_UP_SECONDS = 0
    hook = receiver(failures=1)
    webhook, _ = webhook_create(actor=owner, url=hook.url)
    TopicFactory()
    TopicFactory()
    deliver_all()
    statuses = list(
        WebhookDelivery.objects.filter(webhook=webhook)
        .order_by("change_id")
        .values_list("status", flat=True)
    )
    assert statuses == ["failed", "delivered"]


def test_types_and_event_narrow_what_is_sent(receiver, owner):
    hook = receiver()
    mine = EventFactory()
    webhook_create(actor=owner, url=hook.url, types=["TALK"], event=mine.pk)
    TopicFactory()
    talk = TalkFactory(event=mine)
    TalkFactory()
    deliver_all()
    sent = [json.loads(body)["data"] for _, body in hook.requests]
    assert [(d["type"], d["action"]) for d in sent] == [("TALK", "CREATED")]
    assert base64.b64decode(sent[0]["nodeId"]).decode() == f"Talk:{talk.pk}"


def test_private_addresses_are_refused(owner):
    for url in ("http://127.0.0.1:9/hook", "http://10.0.0.8/hook", "ftp://example.org/"):
        with pytest.raises(ApplicationError) as refused:
            webhook_create(actor=owner, url=url)
        assert refused.value.problems[0].field == "url"
    assert not Webhook.objects.exists()


CREATE = """mutation ($url: String!) { createWebhook(input: {url: $url, types: [TALK]}) {
  __typename ... on CreatedWebhook { secret webhook { id url types } }
  ... on OperationInfo { messages { code } } } }"""


def test_staff_with_the_permission_create_and_delete_webhooks(settings, owner):
    from talks.tokens import token_create

    settings.WEBHOOKS_ALLOW_PRIVATE = True
    client = GraphQLClient(Authorization=f"Bearer {token_create(user=owner, name='t')[1]}")
    refused = client(CREATE, {"url": "http://127.0.0.1:9/hook"})["createWebhook"]
    assert refused["messages"][0]["code"] == "forbidden"
    owner.user_permissions.add(*Permission.objects.filter(codename__endswith="_webhook"))
    owner = User.objects.get(pk=owner.pk)  # permissions are cached on the instance
    made = client(CREATE, {"url": "http://127.0.0.1:9/hook"})["createWebhook"]
    assert made["secret"].startswith("whsec_") and made["webhook"]["types"] == ["TALK"]
    deleted = client(
        "mutation ($id: ID!) { deleteWebhook(input: {id: $id}) { __typename } }",
        {"id": made["webhook"]["id"]},
    )["deleteWebhook"]
    assert deleted == {"__typename": "DeletedNode"} and not Webhook.objects.exists()
