import json

import pytest
from django.test import Client


class GraphQLClient:
    """Posts GraphQL to /graphql/ through Django's full request stack."""

    def __init__(self) -> None:
        self.client = Client()

    def raw(self, query: str, variables: dict | None = None) -> dict:
        response = self.client.post(
            "/graphql/",
            json.dumps({"query": query, "variables": variables or {}}),
            content_type="application/json",
        )
        assert response.status_code in (200, 400), response.content
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


@pytest.fixture
def gql(db) -> GraphQLClient:
    return GraphQLClient()
