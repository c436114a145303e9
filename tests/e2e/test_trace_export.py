"""A live server with the standard OTEL_* variables exports its traces over OTLP/HTTP
(the official exporter) to a local receiver, continuing the caller's traceparent."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tests.e2e.conftest import gunicorn_server, running_server, test_database_url

pytestmark = pytest.mark.e2e

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
TRACEPARENT = f"00-{TRACE_ID}-b7ad6b7169203331-01"


class Receiver(BaseHTTPRequestHandler):
    """An OTLP/HTTP receiver of traces: keeps each export it is sent."""

    exports: list[tuple[str, ExportTraceServiceRequest]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        export = ExportTraceServiceRequest()
        export.ParseFromString(body)
        self.exports.append((self.path, export))
        answer = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.exports = []
    http = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_address[1]}", Receiver.exports
    http.shutdown()


def exported_spans(exports) -> list[tuple[dict, object]]:
    """(resource attributes, span) for every span received."""
    spans = []
    for _, export in exports:
        for resource_spans in export.resource_spans:
            resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                spans += [(resource, span) for span in scope_spans.spans]
    return spans


def test_traces_arrive_at_an_otlp_http_receiver(transactional_db, receiver):
    endpoint, exports = receiver
    with running_server(
        test_database_url(),
        OTEL_EXPORTER_OTLP_ENDPOINT=endpoint,
        OTEL_SERVICE_NAME="talks-e2e",
        OTEL_BSP_SCHEDULE_DELAY="50",
    ) as base:
        answer = httpx.post(
            f"{base}/graphql/",
            json={"query": "query Topics { topics { totalCount } }"},
            headers={"traceparent": TRACEPARENT},
        )
        assert answer.status_code == 200
        assert answer.headers["X-Request-ID"] == TRACE_ID
        until(lambda: {"POST /graphql/", "graphql.operation"} <= names(exports, TRACE_ID))
    assert {path for path, _ in exports} == {"/v1/traces"}
    ours = [(resource, span) for resource, span in exported_spans(exports)
            if span.trace_id.hex() == TRACE_ID]  # fmt: skip
    assert {"graphql.parse", "graphql.validate", "graphql.execute"} <= names(exports, TRACE_ID)
    assert any(span.name.startswith("SELECT ") for _, span in ours)
    assert {resource["service.name"] for resource, _ in ours} == {"talks-e2e"}


def test_a_worker_stopped_as_the_image_stops_it_exports_what_it_held(transactional_db, receiver):
    """gunicorn's uvicorn workers, stopped by SIGTERM, with spans not yet exported."""
    endpoint, exports = receiver
    held = {"OTEL_BSP_SCHEDULE_DELAY": "600000"}  # nothing leaves before the worker stops
    with gunicorn_server(1, OTEL_EXPORTER_OTLP_ENDPOINT=endpoint, **held) as base:
        answer = httpx.post(
            f"{base}/graphql/",
            json={"query": "{ topics { totalCount } }"},
            headers={"traceparent": TRACEPARENT},
        )
        assert answer.status_code == 200
        time.sleep(0.5)
        assert names(exports, TRACE_ID) == set()
    assert {"POST /graphql/", "graphql.operation", "graphql.execute"} <= names(exports, TRACE_ID)


def names(exports, trace_id: str) -> set[str]:
    return {span.name for _, span in exported_spans(exports) if span.trace_id.hex() == trace_id}


def until(condition, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.1)
