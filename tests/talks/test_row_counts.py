"""Row counts of the catalogue tables: kept exact by the database whoever writes, and what
an unfiltered list's totalCount reads instead of counting every row."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from talks import selectors, services
from talks.models import Event, RowCount, Speaker, Talk, Topic
from tests.factories import EventFactory, SpeakerFactory, TalkFactory, TopicFactory

pytestmark = pytest.mark.django_db
MODELS = (Talk, Speaker, Event, Topic)


def kept() -> dict[str, int]:
    return dict(RowCount.objects.values_list("table", "rows"))


def real() -> dict[str, int]:
    return {model._meta.db_table: model.objects.count() for model in MODELS}


def test_counts_follow_inserts_bulk_inserts_imports_and_deletes():
    call_command("load_demo", stdout=io.StringIO())
    assert kept() == real()
    TalkFactory.create_batch(3)
    Topic.objects.bulk_create([Topic(name=f"Bulk {i}", slug=f"bulk-{i}") for i in range(5)])
    assert kept() == real()
    Talk.objects.filter(id__in=Talk.objects.order_by("id").values("id")[:4]).delete()
    services.topic_delete(Topic.objects.get(slug="bulk-0"))
    assert kept() == real()


def test_a_lost_count_is_counted_again_by_the_next_write():
    EventFactory.create_batch(2)
    RowCount.objects.all().delete()
    assert selectors.row_count(Event) == 2  # read from the table meanwhile
    EventFactory()
    assert kept()["talks_event"] == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_truncate_empties_the_count():
    TopicFactory.create_batch(2)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE talks_talk_topics, talks_topic")
    assert kept()["talks_topic"] == 0


def test_an_unfiltered_total_reads_the_count_and_a_filtered_one_counts(gql):
    SpeakerFactory.create_batch(4)
    for field in ("talks", "speakers", "events", "topics"):
        with CaptureQueriesContext(connection) as captured:
            data = gql(f"{{ {field}(first: 1) {{ totalCount }} }}")
        counted = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
        assert counted == [], f"{field}: {counted}"
        assert data[field]["totalCount"] == real()[f"talks_{field[:-1]}"]
    data = gql('{ speakers(filter: {search: "zzzz nobody"}) { totalCount } }')
    assert data["speakers"]["totalCount"] == 0
    data = gql("{ speakers(last: 2) { totalCount edges { node { name } } } }")
    assert data["speakers"]["totalCount"] == 4 and len(data["speakers"]["edges"]) == 2
