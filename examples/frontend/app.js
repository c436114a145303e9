// The talk list of a frontend on another origin: @urql/core against the talks API.
import { gql } from "@urql/core";
import { client, failure } from "./api.js";

const PAGE_SIZE = 10;

const TALKS = gql`
  query TalkList($search: String, $first: Int!, $after: String) {
    talks(filter: { search: $search }, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          title
          recordedOn
          event {
            name
          }
          speakers {
            name
          }
        }
      }
    }
  }
`;

const list = document.getElementById("talks");
const status = document.getElementById("status");
const more = document.getElementById("more");
const search = document.getElementById("search");

let current = { search: "", endCursor: null, shown: 0 };
let generation = 0; // answers to an older search are dropped when they arrive late

function talkItem(talk) {
  const item = document.createElement("li");
  item.dataset.id = talk.id;
  const title = document.createElement("div");
  title.className = "title";
  title.textContent = talk.title;
  const meta = document.createElement("div");
  meta.className = "meta";
  const speakers = talk.speakers.map((speaker) => speaker.name).join(", ");
  meta.textContent = [speakers, talk.event.name, talk.recordedOn].filter(Boolean).join(" · ");
  item.append(title, meta);
  return item;
}

async function load({ append }) {
  const mine = ++generation;
  const variables = {
    search: current.search || null,
    first: PAGE_SIZE,
    after: append ? current.endCursor : null,
  };
  more.disabled = true;
  status.classList.remove("error");
  const result = await client.query(TALKS, variables).toPromise();
  if (mine !== generation) {
    return;
  }
  more.disabled = false;
  if (result.error) {
    status.classList.add("error");
    status.textContent = failure(result.error);
    more.hidden = true;
    return;
  }
  const talks = result.data.talks;
  if (!append) {
    list.replaceChildren();
    current.shown = 0;
  }
  list.append(...talks.edges.map((edge) => talkItem(edge.node)));
  current.shown += talks.edges.length;
  current.endCursor = talks.pageInfo.endCursor;
  more.hidden = !talks.pageInfo.hasNextPage;
  status.textContent = `${current.shown} of ${talks.totalCount} talks`;
}

// Live: a talk changed elsewhere changes here too; a talk added or removed reloads the
// list as it is asked for.
const CHANGES = gql`
  subscription LiveTalks {
    changes(types: [TALK]) {
      action
      nodeId
      node {
        ... on Talk {
          title
        }
      }
    }
  }
`;

client.subscription(CHANGES, {}).subscribe((result) => {
  const change = result.data?.changes;
  if (!change) return;
  if (change.action === "UPDATED" && change.node) {
    const shown = list.querySelector(`li[data-id="${CSS.escape(change.nodeId)}"] .title`);
    if (shown) shown.textContent = change.node.title;
  } else {
    current = { ...current, endCursor: null, shown: 0 };
    load({ append: false });
  }
});

let typing;
search.addEventListener("input", () => {
  clearTimeout(typing);
  typing = setTimeout(() => {
    current = { search: search.value.trim(), endCursor: null, shown: 0 };
    load({ append: false });
  }, 250);
});
more.addEventListener("click", () => load({ append: true }));

load({ append: false });
