"""A synthetic but realistic catalogue for scale tests, the same for the same seed."""

import datetime
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

WORDS = (
    "python django async await asyncio coroutine generator iterator decorator descriptor "
    "metaclass typing dataclass protocol orm queryset migration database postgresql sqlite "
    "index query cache redis celery queue worker deployment docker kubernetes container "
    "serverless testing pytest fixture mock property hypothesis packaging wheel pip poetry "
    "virtualenv performance profiling memory cpython pypy cython numpy pandas dataframe "
    "pipeline machine learning model notebook jupyter visualization api rest graphql schema "
    "security authentication token session csrf logging monitoring tracing observability "
    "community mentoring teaching beginner career open source maintainer documentation sphinx "
    "web framework flask fastapi starlette asgi wsgi server middleware template form admin "
    "search ranking text unicode internationalization accessibility frontend javascript"
).split()
# Everyday words of talk abstracts, most frequent first (stop words left in: the search
# configuration drops them as it would from real text).
FILLER = (
    "the and to a of in is for you this we with it how that will as on are can be your by "
    "about what use have or at more like but from all these our also not when so has which "
    "why new into if time learn they work through make build create help them their over "
    "based my easy while many just one get such first out most should want even its large "
    "need live simple only go cover way was there other no experience show see approach "
    "type where up look years issues provide concepts know team solve been examples very "
    "write making common things run process often practices features makes different "
    "solutions problem started does because popular challenges real better design any key "
    "without tasks take after focus working good own than environment various practical "
    "analysis those full provides both start level might state however every doing much "
    "between top including useful share did deep part who may include try something give "
    "right find come story journey lessons small teams everyday patterns ideas questions "
    "answers mistakes tricks tips hands demo walk explore discover compare "
    "choose avoid improve understand explain review change grow keep move open future past "
    "today modern classic hard clever fun surprising"
).split()
FIRST = (
    "Ada Alex Ana Andrew Anna Ben Carla Chen Daniel Diana Elena Emma Farid Fatima Hana "
    "Ivan Jacob Jana Jin Kate Lars Leila Lynn Maria Mateo Mei Nadia Noah Olga Omar Paul "
    "Priya Rahul Rosa Sam Sara Tomas Yuki Zoe Ángel Łukasz Søren Chloé Müller"
).split()
LAST = (
    "Adams Baker Chen Costa Dubois Evans Fischer García Gupta Hansen Ito Jensen Kim "
    "Kowalski Lee Lopez Martin Meyer Moreau Nguyen Novak Okafor Park Patel Petrov Rossi "
    "Santos Schmidt Silva Smith Suzuki Tanaka Weber Wilson Yamamoto Zhang Ødegaard"
).split()
PLACES = [
    ("Copenhagen", "Denmark", "Europe/Copenhagen"),
    ("Portland", "United States", "America/Los_Angeles"),
    ("Florence", "Italy", "Europe/Rome"),
    ("Berlin", "Germany", "Europe/Berlin"),
    ("Tokyo", "Japan", "Asia/Tokyo"),
    ("São Paulo", "Brazil", "America/Sao_Paulo"),
    ("Bratislava", "Slovakia", "Europe/Bratislava"),
    ("Seoul", "South Korea", "Asia/Seoul"),
    ("Cleveland", "United States", "America/New_York"),
    ("Dublin", "Ireland", "Europe/Dublin"),
    ("", "", "UTC"),
]
ROOMS = ["Main Hall", "Room A", "Room B", "Workshop Room", "Room C", "Room D"]
TRACKS = [("Web", "#1f77b4"), ("Data", "#ff7f0e"), ("Core Python", "#2ca02c"), ("Community", None)]
HOURS = range(9, 18)  # the hours a day's talks start at (in the event's time zone)
SERIES = [
    "PyCon",
    "DjangoCon",
    "EuroPython",
    "PyData",
    "PyOhio",
    "PyCascades",
    "FlaskCon",
    "Python Meetup",
    "PyLadiesCon",
    "SciPy",
]
TITLES = [
    "{A} for {B}",
    "Understanding {A}",
    "{A} in production",
    "What is {A} anyway?",
    "From {A} to {B}",
    "Practical {A}",
    "{A} and {B}: lessons learned",
    "Scaling {A}",
    "A gentle introduction to {A}",
    "Advanced {A}",
]
TALK_KINDS = (
    ["talk"] * 80
    + ["keynote"] * 3
    + ["lightning"] * 8
    + ["workshop"] * 3
    + ["tutorial"] * 3
    + ["panel"] * 2
    + ["other"]
)
LEVELS = [None, None, "beginner", "intermediate", "advanced", "all"]
LANGUAGES = ["en"] * 12 + ["fr", "es", "pt-BR", "de", "ja", "ru"]


def _zipf(count: int) -> list[float]:
    """Cumulative weights 1/(k+1): the first items are picked far more often."""
    return list(itertools.accumulate(1 / (k + 1) for k in range(count)))


FILLER_WEIGHTS = _zipf(len(FILLER))
# How often a word turns up in a talk beyond its own subject, as in real catalogues
# (measured on the pyvideo sample: "python" in 58% of abstracts, "django" 15%, "web" 22%).
COMMON = {"python": 0.55, "django": 0.15, "web": 0.2, "data": 0.18, "api": 0.1}


def _text(rng: random.Random, low: int, high: int, subject: tuple[str, ...] = ()) -> str:
    """Prose of `low` to `high` characters: Zipf-distributed everyday words, with the
    subject's words and an occasional other technical term mixed in, like an abstract."""
    length = rng.randint(low, high)
    extra = [word for word, share in COMMON.items() if rng.random() < share]
    technical = list(subject) + extra + ([rng.choice(WORDS)] if rng.random() < 0.3 else [])
    sentences: list[str] = []
    size = 0
    while size < length:
        words = rng.choices(FILLER, cum_weights=FILLER_WEIGHTS, k=rng.randint(6, 16))
        if technical:
            words[rng.randrange(len(words))] = rng.choice(technical)
        sentence = " ".join(words)
        sentences.append(sentence[0].upper() + sentence[1:] + ".")
        size += len(sentence) + 2
    return " ".join(sentences)[:length].rstrip() + "."


@dataclass
class Programme:
    """Where an event's next talk goes: its slots fill room by room, hour by hour, day
    by day, and a slot that already has one of a talk's speakers is passed over."""

    slug: str
    starts: datetime.date
    days: int
    zone: ZoneInfo
    rooms: list[str]
    tracks: list[str]
    slot: int = 0  # hours since the first day's first, over days of len(HOURS)
    room: int = 0
    speakers: set = field(default_factory=set)  # those speaking in the current slot

    def place(self, speakers: list[str], busy: dict, minutes: int) -> dict | None:
        """The slot of a talk by `speakers`; None when the event is full. `busy` holds
        every speaker's taken hours, over all events, so no one is in two places."""
        while self.slot < self.days * len(HOURS):
            day, hour = divmod(self.slot, len(HOURS))
            date = self.starts + datetime.timedelta(days=day)
            moment = datetime.datetime(
                date.year, date.month, date.day, HOURS[hour], tzinfo=self.zone
            )
            key = int(moment.timestamp()) // 3600
            clash = self.speakers.intersection(speakers) or any(
                key in busy.get(s, ()) for s in speakers
            )
            if self.room < len(self.rooms) and not clash:
                room = self.rooms[self.room]
                self.room += 1
                self.speakers.update(speakers)
                for speaker in speakers:
                    busy.setdefault(speaker, set()).add(key)
                start = moment.astimezone(datetime.UTC)
                end = start + datetime.timedelta(minutes=min(minutes, 55))
                return {"start": start.isoformat(), "end": end.isoformat(), "room": room}
            self.slot, self.room, self.speakers = self.slot + 1, 0, set()
        return None


def _event_parts(rng: random.Random, slug: str, conference: bool) -> Iterator[dict]:
    rooms = ROOMS[: rng.randint(2, len(ROOMS))] if conference else ROOMS[:1]
    for position, name in enumerate(rooms):
        room_slug = name.lower().replace(" ", "-")
        yield {
            "type": "room",
            "event": slug,
            "slug": room_slug,
            "name": name,
            "capacity": rng.choice([None, 50, 120, 300, 800]),
            "position": position,
        }
    for name, color in TRACKS if conference else ():
        yield {
            "type": "track",
            "event": slug,
            "slug": name.lower().replace(" ", "-"),
            "name": name,
            "color": color,
        }


def generate(talks: int, seed: int) -> Iterator[dict]:
    """Events with their rooms and tracks, speakers and topics first, then talks: N/60
    events, N/4 speakers with a Zipf-like spread of talks, 300 topics, 1-3 speakers and
    1-5 topics a talk, and a slot for each talk its event has room for."""
    rng = random.Random(seed)
    n_events, n_speakers, n_topics = max(1, talks // 60), max(1, talks // 4), 300

    events = []
    for i in range(n_events):
        series = SERIES[i % len(SERIES)]
        year = 2000 + (i // len(SERIES)) % 26
        city, country, zone = rng.choice(PLACES)
        starts = datetime.date(year, 1, 1) + datetime.timedelta(days=rng.randrange(360))
        slug = f"{series.lower().replace(' ', '-')}-{year}-{i}"
        days = rng.randint(1, 5)
        conference = "Meetup" not in series
        yield {
            "type": "event",
            "slug": slug,
            "name": f"{series} {year} #{i}",
            "kind": "conference" if conference else "meetup",
            "starts_on": starts.isoformat(),
            "ends_on": (starts + datetime.timedelta(days=days - 1)).isoformat(),
            "city": city,
            "country": country,
            "url": f"https://example.org/{slug}/",
            "description": _text(rng, 80, 400),
            "timezone": zone,
        }
        parts = list(_event_parts(rng, slug, conference))
        yield from parts
        rooms = [part["slug"] for part in parts if part["type"] == "room"]
        tracks = [part["slug"] for part in parts if part["type"] == "track"]
        events.append(Programme(slug, starts, days, ZoneInfo(zone), rooms, tracks))

    speakers = []
    for i in range(n_speakers):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        slug = f"speaker-{i}"
        speakers.append(slug)
        yield {
            "type": "speaker",
            "slug": slug,
            "name": name,
            "bio": _text(rng, 0, 300),
            "affiliation": "",
            "website": "",
            "twitter": "",
            "github": f"user{i}",
        }

    topics = []
    for i in range(n_topics):
        word = WORDS[i % len(WORDS)]
        slug = f"{word}-{i}"
        topics.append(slug)
        yield {"type": "topic", "slug": slug, "name": f"{word.title()} {i}", "description": ""}

    # Zipf-like: speaker k is picked with weight 1/(k+1), so a few speak very often.
    cumulative = _zipf(n_speakers)
    busy: dict[str, set[int]] = {}
    for i in range(talks):
        programme = events[rng.randrange(n_events)]
        event_slug, starts = programme.slug, programme.starts
        a, b = rng.sample(WORDS, 2)
        title = rng.choice(TITLES).format(A=a, B=b)
        chosen = list(
            dict.fromkeys(rng.choices(speakers, cum_weights=cumulative, k=rng.randint(1, 3)))
        )
        minutes = rng.choice([5, 25, 30, 40, 45, 60, 90])
        slot = programme.place(chosen, busy, minutes)
        track = rng.choice(programme.tracks) if programme.tracks else None
        yield {
            "type": "talk",
            "slug": f"talk-{i}",
            "title": title[0].upper() + title[1:],
            "abstract": _text(rng, 300, 2000, subject=(a, b)),
            "event": event_slug,
            "speakers": chosen,
            "topics": sorted(rng.sample(topics, rng.randint(1, 5))),
            "kind": rng.choice(TALK_KINDS),
            "level": rng.choice(LEVELS),
            "language": rng.choice(LANGUAGES),
            "recorded_on": (starts + datetime.timedelta(days=rng.randint(0, 2))).isoformat(),
            "duration_minutes": minutes,
            "video_url": f"https://video.example.org/talk-{i}",
            "slides_url": "",
            **({"slot": {**slot, "track": track}} if slot else {}),
        }
