// An event's programme for one day, rooms as columns, and what is on now and next.
// `?event=` names the event by slug, `?day=` the day (by default the day of `at`, or the
// first with talks), `?at=` the moment "now" is (the current time by default, any ISO
// time with its offset).
import { gql } from "@urql/core";
import { client, failure, params } from "./api.js";

const PROGRAMME = gql`
  query DayProgramme($event: String!, $day: Date, $at: DateTime) {
    event(slug: $event) {
      name
      timezone
      days
      rooms {
        id
        name
      }
      schedule(day: $day) {
        id
        title
        slot {
          start
          end
          room {
            id
          }
        }
        track {
          name
          color
        }
        speakers {
          name
        }
      }
      now(at: $at) {
        id
        title
        slot {
          end
          room {
            name
          }
        }
      }
      next(at: $at, first: 3) {
        id
        title
        slot {
          start
          room {
            name
          }
        }
      }
    }
  }
`;

const heading = document.getElementById("event");
const status = document.getElementById("status");
const days = document.getElementById("days");
const grid = document.getElementById("grid");
const now = document.getElementById("now");
const next = document.getElementById("next");

const slug = params.get("event") || "europython-2012";
const at = params.get("at");

function clock(zone) {
  const format = new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit" });
  return (iso) => format.format(new Date(iso));
}

// The day (YYYY-MM-DD) a moment falls on in the event's time zone.
function dayIn(zone, iso) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone }).format(new Date(iso));
}

function firstDay(event) {
  if (at && event.days.includes(dayIn(event.timezone, at))) return dayIn(event.timezone, at);
  return event.schedule.length ? dayIn(event.timezone, event.schedule[0].slot.start) : event.days[0];
}

function cell(tag, text, className) {
  const element = document.createElement(tag);
  if (text !== undefined) element.textContent = text;
  if (className) element.className = className;
  return element;
}

function talkCard(talk, time) {
  const card = cell("div", undefined, "talk");
  card.dataset.id = talk.id;
  if (talk.track?.color) card.style.borderLeftColor = talk.track.color;
  card.append(
    cell("div", `${time(talk.slot.start)}–${time(talk.slot.end)}`, "time"),
    cell("div", talk.title, "title"),
    cell("div", [talk.speakers.map((s) => s.name).join(", "), talk.track?.name].filter(Boolean).join(" · "), "meta"),
  );
  return card;
}

// One row per start time, one column per room (and one for talks without a room).
function renderGrid(event, time) {
  const rooms = [...event.rooms];
  if (event.schedule.some((talk) => !talk.slot.room)) rooms.push({ id: null, name: "TBA" });
  const head = cell("tr");
  head.append(cell("th", "", "corner"), ...rooms.map((room) => cell("th", room.name)));
  const rows = new Map();
  for (const talk of event.schedule) {
    const key = talk.slot.start;
    if (!rows.has(key)) rows.set(key, new Map());
    const column = talk.slot.room?.id ?? null;
    const talks = rows.get(key).get(column) || [];
    rows.get(key).set(column, [...talks, talk]);
  }
  const body = [...rows].map(([start, byRoom]) => {
    const row = cell("tr");
    row.append(cell("th", time(start), "start"));
    for (const room of rooms) {
      const td = cell("td");
      td.dataset.room = room.name;
      td.append(...(byRoom.get(room.id) || []).map((talk) => talkCard(talk, time)));
      row.append(td);
    }
    return row;
  });
  grid.replaceChildren(cell("thead"), cell("tbody"));
  grid.tHead.append(head);
  grid.tBodies[0].append(...body);
}

function renderNowNext(event, time) {
  now.replaceChildren(
    ...event.now.map((talk) => cell("li", `${talk.title} (${talk.slot.room?.name ?? "TBA"}, until ${time(talk.slot.end)})`)),
  );
  next.replaceChildren(
    ...event.next.map((talk) => cell("li", `${time(talk.slot.start)} ${talk.title} (${talk.slot.room?.name ?? "TBA"})`)),
  );
  if (!event.now.length) now.append(cell("li", "Nothing right now.", "empty"));
  if (!event.next.length) next.append(cell("li", "Nothing later.", "empty"));
}

async function show(day) {
  status.classList.remove("error");
  status.textContent = "Loading…";
  const result = await client.query(PROGRAMME, { event: slug, day, at }).toPromise();
  if (result.error || !result.data.event) {
    status.classList.add("error");
    status.textContent = result.error ? failure(result.error) : `No event “${slug}”.`;
    return;
  }
  const event = result.data.event;
  const time = clock(event.timezone);
  heading.textContent = event.name;
  if (!day && event.days.length) {
    return show(firstDay(event));
  }
  days.replaceChildren(
    ...event.days.map((date) => {
      const button = cell("button", date);
      button.type = "button";
      button.setAttribute("aria-pressed", String(date === day));
      button.addEventListener("click", () => show(date));
      return button;
    }),
  );
  renderGrid(event, time);
  renderNowNext(event, time);
  status.textContent = `${event.schedule.length} talks on ${day}, times in ${event.timezone}`;
}

show(params.get("day"));
