import json

import pytest
from django.test import Client


class GraphQLClient:
    """Posts GraphQL to /graphql/ through Django's full request stack."""

    def __init__(self, client: Client | None = None, **headers: str) -> None:
        self.client = client or Client()
        self.headers = headers

    def raw(self, query: str, variables: dict | None = None) -> dict:
        response = self.client.post(
            "/graphql/",
            json.dumps({"query": query, "variables": variables or {}}),
            content_type="application/json",
            headers=self.headers,
        )
        assert response.status_code in (200, 400, 401), response.content
        return response.json()

    def __call__(self, query: str, variables: dict | None = None) -> dict:
        """The `data` of a query that must succeed."""
        body = self.raw(query, variables)
        assert "errors" not in body, body["errors"]
        return body["data"]

    def error(self, query: str, variables: dict | None = None) -> dict:
        """The single error of a query that must fail."""
        body = self.raw(query, variables)
        assert len(body.get("errors", [])) == 1, body
        return body["errors"][0]


@pytest.fixture(autouse=True)
def _fresh_spelling_corrections():
    """Each test's searches look their words up in its own catalogue, as a fresh process
    would: a test's rolled-back talks leave no remembered corrections behind."""
    from talks.vocabulary import forget_corrections

    forget_corrections()


@pytest.fixture
def gql(db) -> GraphQLClient:
    return GraphQLClient()


EDITING = [
    f"{action}_{model}"
    for model in ("talk", "speaker", "event", "topic", "room", "track")
    for action in ("add", "change", "delete")
]


@pytest.fixture
def staff_user(db):
    """An editor: a staff user with the permissions to add, change and delete talks,
    speakers, events and topics, as the admin would ask of them."""
    from django.contrib.auth.models import Permission, User

    user = User.objects.create_user("editor", password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="talks", codename__in=EDITING)
    )
    return user


@pytest.fixture
def staff_gql(staff_user) -> GraphQLClient:
    """A client authenticated with a staff user's API token."""
    from talks.tokens import token_create

    _, secret = token_create(user=staff_user, name="tests")
    return GraphQLClient(Authorization=f"Bearer {secret}")
