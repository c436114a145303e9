"""The Frab schedule, XML and JSON, validated by the C3VOC's own schema and JSON schema,
with every scheduled talk once, in its room, on its day in the event's time zone."""

import json

import jsonschema
import pytest
import xmlschema
from defusedxml import ElementTree
from django.test import Client

from talks import services

pytestmark = pytest.mark.django_db


def test_the_xml_schedule_is_valid_and_complete(programme, frab_validators):
    event = programme["event"]
    response = Client().get(f"/events/{event.slug}/schedule.xml")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/xml")
    schema = xmlschema.XMLSchema(str(frab_validators / "schedule.xml.xsd"))
    errors = list(schema.iter_errors(response.content.decode()))
    assert errors == [], errors[:3]
    root = ElementTree.fromstring(response.content)
    days = root.findall("day")
    assert [day.get("date") for day in days] == ["2026-05-14", "2026-05-15"]
    first_day = {room.get("name"): [e.findtext("title") for e in room] for room in days[0]}
    assert first_day == {"Hall": ["Opening", "Async all the way"], "Lab": ["Pandas tricks"]}
    opening = days[0].find("room/event")
    assert opening.findtext("date") == "2026-05-14T09:00:00+02:00"
    assert (opening.findtext("start"), opening.findtext("duration")) == ("09:00", "00:30")
    assert [p.text for p in opening.find("persons")] == ["Ada Lovelace"]
    assert root.find("conference/time_zone_name").text == "Europe/Berlin"
    assert len(root.findall("day/room/event")) == 5


def test_the_json_schedule_is_valid_and_its_version_moves(programme, frab_validators):
    event = programme["event"]
    url = f"/events/{event.slug}/schedule.json"
    document = json.loads(Client().get(url).content)
    schema = json.loads((frab_validators / "schema.json").read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = list(validator.iter_errors(document))
    assert errors == [], [e.message for e in errors[:3]]
    days = document["schedule"]["conference"]["days"]
    assert [talk["title"] for talk in days[1]["rooms"]["TBA"]] == ["Lightning talks"]
    assert sum(len(talks) for day in days for talks in day["rooms"].values()) == 5
    services.talk_update(programme["talks"][0], title="Welcome")
    moved = json.loads(Client().get(url).content)
    assert int(moved["schedule"]["version"]) > int(document["schedule"]["version"])
