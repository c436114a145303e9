"""schema.graphql is the printed schema: a change to the API shows up in review."""

from schema.management.commands.snapshot_schema import SNAPSHOT, printed_schema


def test_schema_snapshot_is_current():
    assert SNAPSHOT.read_text() == printed_schema(), (
        "schema.graphql is stale: run `python manage.py snapshot_schema` and commit it."
    )


def test_snapshot_has_the_contract_shapes():
    text = SNAPSHOT.read_text()
    assert "talks(filter: TalkFilter = null, orderBy: TalkOrder = RECORDED_ON_DESC" in text
    assert "totalCount: Int!" in text
    assert "interface Node" in text
