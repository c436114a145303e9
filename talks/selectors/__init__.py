"""Reads: the querysets of the lists, and the batched reads behind every relation and
count. Callers use `talks.selectors` as one module; its parts are one module a concern:

- `filters`: what a list is asked for (filters, orders, row ranges);
- `lists`: the lists themselves, large searches' best candidates, search everywhere;
- `related`: the batched reads of relations, counts and nested pages, by parent ids;
- `counts`: how many rows a list has, and the catalogue's version;
- `schedule`: an event's rooms and tracks, its schedule, what runs now and next.
"""

from talks.selectors.counts import (
    COUNT_EXACT_UP_TO,
    Counted,
    catalogue_version,
    counted,
    row_count,
)
from talks.selectors.filters import (
    EVENT_ORDERINGS,
    SPEAKER_ORDERINGS,
    TALK_ORDERINGS,
    TOPIC_ORDERINGS,
    EventFilters,
    RowRange,
    SpeakerFilters,
    TalkFilters,
    TalkParent,
    TopicFilters,
    condition,
    conditions,
)
from talks.selectors.lists import (
    event_list,
    list_total,
    page,
    page_instances,
    search_everything,
    speaker_list,
    talk_list,
    topic_list,
)
from talks.selectors.related import (
    RELATED_COLUMNS,
    TALK_EVENT,
    events_of_speakers,
    instances,
    newest_links_of_speakers,
    objects_by_key,
    speakers_of_events,
    speakers_of_talks,
    talk_counts,
    talk_pages,
    topics_of_events,
    topics_of_talks,
    with_talk_counts,
)
from talks.selectors.schedule import (
    NextQuery,
    Programme,
    ScheduleQuery,
    event_programme,
    next_after,
    rooms_of_events,
    running_at,
    schedule_of_events,
    speaker_programme,
    tracks_of_events,
)

__all__ = [
    "COUNT_EXACT_UP_TO",
    "EVENT_ORDERINGS",
    "RELATED_COLUMNS",
    "SPEAKER_ORDERINGS",
    "TALK_EVENT",
    "TALK_ORDERINGS",
    "TOPIC_ORDERINGS",
    "Counted",
    "EventFilters",
    "NextQuery",
    "Programme",
    "RowRange",
    "ScheduleQuery",
    "SpeakerFilters",
    "TalkFilters",
    "TalkParent",
    "TopicFilters",
    "catalogue_version",
    "condition",
    "conditions",
    "counted",
    "event_list",
    "event_programme",
    "events_of_speakers",
    "instances",
    "list_total",
    "newest_links_of_speakers",
    "next_after",
    "objects_by_key",
    "page",
    "page_instances",
    "rooms_of_events",
    "row_count",
    "running_at",
    "schedule_of_events",
    "search_everything",
    "speaker_list",
    "speaker_programme",
    "speakers_of_events",
    "speakers_of_talks",
    "talk_counts",
    "talk_list",
    "talk_pages",
    "topic_list",
    "topics_of_events",
    "topics_of_talks",
    "tracks_of_events",
    "with_talk_counts",
]
