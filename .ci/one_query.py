"""Wait for the server at URL to answer, then ask it one query; fail unless the demo
catalogue's talks come back."""

import json
import sys
import time
import urllib.request

base = sys.argv[1]
deadline = time.monotonic() + 180  # the first serve migrates and loads the demo
while True:
    try:
        urllib.request.urlopen(f"{base}/healthz", timeout=2)
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit(f"{base} did not answer")
        time.sleep(1)
QUERY = "{ talks(first: 1) { totalCount edges { node { title } } } }"
request = urllib.request.Request(
    f"{base}/graphql/",
    data=json.dumps({"query": QUERY}).encode(),
    headers={"Content-Type": "application/json"},
)
answer = json.load(urllib.request.urlopen(request, timeout=30))
talks = answer["data"]["talks"]
assert talks["totalCount"] > 0 and talks["edges"], answer
print(f"served {talks['totalCount']} talks, the first: {talks['edges'][0]['node']['title']}")
