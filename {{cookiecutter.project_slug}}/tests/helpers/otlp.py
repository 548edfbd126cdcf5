"""An OTLP/HTTP endpoint that keeps the spans a service exports to it."""

from __future__ import annotations

import gzip
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span

TRACES_PATH = "/v1/traces"  # where the exporter posts, below OTEL_EXPORTER_OTLP_ENDPOINT


@dataclass(frozen=True)
class ExportedSpan:
    """A span, the instrumentation that made it and the resource it came from."""

    span: Span
    scope: str
    resource: dict[str, str]

    @property
    def trace_id(self) -> str:
        return self.span.trace_id.hex()

    @property
    def span_id(self) -> str:
        return self.span.span_id.hex()

    @property
    def parent_span_id(self) -> str:
        return self.span.parent_span_id.hex()


class OtlpCollector(ThreadingHTTPServer):
    """Decodes each ExportTraceServiceRequest (protobuf) posted to it, on a free port."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ExportHandler)
        self.spans: list[ExportedSpan] = []
        self.paths: list[str] = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The value of OTEL_EXPORTER_OTLP_ENDPOINT that points here."""
        return f"http://127.0.0.1:{self.server_address[1]}"

    def keep(self, path: str, request: ExportTraceServiceRequest) -> None:
        with self.lock:
            self.paths.append(path)
            for resource_spans in request.resource_spans:
                resource = {
                    attribute.key: attribute.value.string_value
                    for attribute in resource_spans.resource.attributes
                }
                for scope_spans in resource_spans.scope_spans:
                    self.spans += [
                        ExportedSpan(span, scope_spans.scope.name, resource)
                        for span in scope_spans.spans
                    ]

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.shutdown()
        self.server_close()
        self.thread.join()


class ExportHandler(BaseHTTPRequestHandler):
    server: OtlpCollector

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.keep(self.path, ExportTraceServiceRequest.FromString(body))
        answer = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads what was exported, not a line per request."""
