"""The baseline for bench/benchmark.py: plain Django views answering the five benchmark
operations with the same JSON as the GraphQL API, with the least SQL we could write
(values(), one statement per relation, a window function for nested pages).

Not part of the product; served with DJANGO_SETTINGS_MODULE=bench.baseline_settings.
"""

import json
from collections import defaultdict

from django.db.models import Count, F, OuterRef, Subquery, Window
from django.db.models.functions import RowNumber
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from edge.health import healthz
from schema.ids import global_id
from talks.models import Event, Speaker, Talk, TalkSpeaker, Topic
from talks.selectors import (
    SPEAKER_ORDERINGS,
    TALK_ORDERINGS,
    TOPIC_ORDERINGS,
    TalkFilters,
    list_total,
    newest_links_of_speakers,
    page,
    row_count,
    talk_list,
)

NEWEST = TALK_ORDERINGS["recorded_on_desc"]


def respond(data: dict) -> HttpResponse:
    return HttpResponse(
        json.dumps({"data": data}, separators=(",", ":")),
        content_type="application/json; charset=utf-8",
    )


def speakers_of(talk_ids, *fields) -> dict[int, list[dict]]:
    rows = (
        TalkSpeaker.objects.filter(talk_id__in=talk_ids)
        .order_by("talk_id", "position")
        .values("talk_id", "speaker_id", *(f"speaker__{f}" for f in fields))
    )
    result = defaultdict(list)
    for row in rows:
        result[row["talk_id"]].append(
            {"_id": row["speaker_id"], **{f: row[f"speaker__{f}"] for f in fields}}
        )
    return result


def topics_of(talk_ids, *fields) -> dict[int, list[dict]]:
    rows = (
        Topic.objects.filter(talks__id__in=talk_ids)
        .annotate(talk_id=F("talks__id"))
        .order_by(*TOPIC_ORDERINGS["name_asc"])
        .values("talk_id", "id", *fields)
    )
    result = defaultdict(list)
    for row in rows:
        result[row["talk_id"]].append({"_id": row["id"], **{f: row[f] for f in fields}})
    return result


def public(items: list[dict]) -> list[dict]:
    return [{k: v for k, v in item.items() if k != "_id"} for item in items]


def talks_page(request):
    """Q1: talks(first: N, orderBy: RECORDED_ON_DESC) with event, speakers and topics."""
    first = int(request.GET.get("first", 100))
    talks = list(
        Talk.objects.order_by(*NEWEST).values(
            "id", "slug", "title", "recorded_on", "duration_minutes", "event__slug", "event__name"
        )[:first]
    )
    total = row_count(Talk)  # the kept count, as the API reads it
    ids = [t["id"] for t in talks]
    speakers, topics = speakers_of(ids, "slug", "name"), topics_of(ids, "slug", "name")
    edges = [
        {
            "node": {
                "id": global_id("Talk", t["id"]),
                "slug": t["slug"],
                "title": t["title"],
                "recordedOn": t["recorded_on"] and t["recorded_on"].isoformat(),
                "durationMinutes": t["duration_minutes"],
                "event": {"slug": t["event__slug"], "name": t["event__name"]},
                "speakers": public(speakers[t["id"]]),
                "topics": public(topics[t["id"]]),
            }
        }
        for t in talks
    ]
    return respond({"talks": {"totalCount": total, "edges": edges}})


def event_page(request):
    """Q2: an event, its talk count, a page of its talks with speakers (and their talk
    counts) and topics, and its speakers."""
    first = int(request.GET.get("first", 50))
    event = (
        Event.objects.filter(slug=request.GET["slug"])
        .annotate(
            talk_count=Subquery(
                Talk.objects.filter(event_id=OuterRef("pk"))
                .order_by()
                .values("event_id")
                .annotate(n=Count("id"))
                .values("n")
            )
        )
        .values("id", "name", "talk_count")
        .first()
    )
    if event is None:
        return respond({"event": None})
    talk_count = event["talk_count"] or 0
    talks = list(
        Talk.objects.filter(event_id=event["id"]).order_by(*NEWEST).values("id", "title")[:first]
    )
    ids = [t["id"] for t in talks]
    speakers, topics = speakers_of(ids, "name", "talk_count"), topics_of(ids, "name")
    event_speakers = (
        Speaker.objects.filter(talk_speakers__talk__event_id=event["id"])
        .distinct()
        .order_by(*SPEAKER_ORDERINGS["name_asc"])
        .values("name")
    )
    return respond(
        {
            "event": {
                "name": event["name"],
                "talkCount": talk_count,
                "talks": {
                    "edges": [
                        {
                            "node": {
                                "title": t["title"],
                                "speakers": [
                                    {
                                        "name": s["name"],
                                        "talkCount": s["talk_count"],
                                    }
                                    for s in speakers[t["id"]]
                                ],
                                "topics": public(topics[t["id"]]),
                            }
                        }
                        for t in talks
                    ]
                },
                "speakers": list(event_speakers),
            }
        }
    )


def speakers_page(request):
    """Q3: speakers by talk count, each with their newest talks, those talks' events and
    topics, and the topics' talk counts."""
    first = int(request.GET.get("first", 50))
    nested = int(request.GET.get("nested", 10))
    speakers = list(
        Speaker.objects.order_by(*SPEAKER_ORDERINGS["talk_count_desc"]).values(
            "id", "name", "talk_count"
        )[:first]
    )
    ids = [s["id"] for s in speakers]
    rows = (
        Talk.objects.filter(
            talk_speakers__speaker_id__in=ids,
            talk_speakers__id__in=newest_links_of_speakers(ids, nested),
        )
        .annotate(
            speaker_id=F("talk_speakers__speaker_id"),
            row=Window(RowNumber(), partition_by=F("talk_speakers__speaker_id"), order_by=NEWEST),
        )
        .filter(row__lte=nested)
        .values("id", "title", "event__name", "speaker_id", "row")
    )
    talks = defaultdict(list)
    for row in sorted(rows, key=lambda r: (r["speaker_id"], r["row"])):
        talks[row["speaker_id"]].append(row)
    talk_ids = {t["id"] for group in talks.values() for t in group}
    topics = topics_of(talk_ids, "name", "talk_count")
    edges = [
        {
            "node": {
                "name": s["name"],
                "talkCount": s["talk_count"],
                "talks": {
                    "edges": [
                        {
                            "node": {
                                "title": t["title"],
                                "event": {"name": t["event__name"]},
                                "topics": [
                                    {"name": p["name"], "talkCount": p["talk_count"]}
                                    for p in topics[t["id"]]
                                ],
                            }
                        }
                        for t in talks[s["id"]]
                    ]
                },
            }
        }
        for s in speakers
    ]
    return respond({"speakers": {"edges": edges}})


def search_page(request):
    """Q4: talks(filter: {search: ...}, first: N) ranked, with speakers."""
    first = int(request.GET.get("first", 20))
    # The API's selectors, so that both sides run the same SQL: a large search ranks its
    # best candidates and estimates its total.
    filters = TalkFilters(search=request.GET["q"])
    ranked = talk_list(filters=filters, order="relevance").values("id", "title")
    talks = list(page(ranked, filters, 0, first))
    total = list_total(talk_list, filters).rows
    speakers = speakers_of([t["id"] for t in talks], "name")
    edges = [{"node": {"title": t["title"], "speakers": public(speakers[t["id"]])}} for t in talks]
    return respond({"talks": {"totalCount": total, "edges": edges}})


def talk_detail(request):
    """Q5: one talk by slug with every field and relation."""
    talk = (
        Talk.objects.filter(slug=request.GET["slug"])
        .values(
            "id",
            "slug",
            "title",
            "abstract",
            "kind",
            "level",
            "language",
            "recorded_on",
            "duration_minutes",
            "video_url",
            "slides_url",
            "event__slug",
            "event__name",
            "event__city",
        )
        .first()
    )
    if talk is None:
        return respond({"talk": None})
    speakers = speakers_of([talk["id"]], "slug", "name")[talk["id"]]
    topics = topics_of([talk["id"]], "slug", "name")[talk["id"]]
    return respond(
        {
            "talk": {
                "id": global_id("Talk", talk["id"]),
                "slug": talk["slug"],
                "title": talk["title"],
                "abstract": talk["abstract"],
                "kind": talk["kind"].upper(),
                "level": talk["level"] and talk["level"].upper(),
                "language": talk["language"],
                "recordedOn": talk["recorded_on"] and talk["recorded_on"].isoformat(),
                "durationMinutes": talk["duration_minutes"],
                "videoUrl": talk["video_url"],
                "slidesUrl": talk["slides_url"],
                "event": {
                    "slug": talk["event__slug"],
                    "name": talk["event__name"],
                    "city": talk["event__city"],
                },
                "speakers": public(speakers),
                "topics": public(topics),
            }
        }
    )


def typename(request):
    """`{ __typename }`: what a request costs with nothing to read."""
    return respond({"__typename": "Query"})


urlpatterns = [
    path("healthz", healthz),  # the product's probe, for the servers' readiness
    path("typename", csrf_exempt(typename)),
    path("q1", csrf_exempt(talks_page)),
    path("q2", csrf_exempt(event_page)),
    path("q3", csrf_exempt(speakers_page)),
    path("q4", csrf_exempt(search_page)),
    path("q5", csrf_exempt(talk_detail)),
]
