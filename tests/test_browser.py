"""Real browsers: pages on another origin use generated services as a web app would.

Each combination below is rendered once, migrated with Alembic, its bucket prepared by
its own bucket command, and served by uvicorn with CORS_ORIGINS naming the page's
origin. Pages come from a second local HTTP server: as http://localhost:<port> (the
allowed origin) and as http://127.0.0.1:<port> (another origin, refused). Chromium
(Debian's, driven by playwright-core from tests/browser, see scripts/browser) runs the
scenarios of tests/browser/scenarios.js; the bytes stored are checked through the S3 API.
The service signs URLs for S3 at http://localhost:8333 (S3_PUBLIC_ENDPOINT_URL) while
it talks to http://127.0.0.1:8333 itself: the same server, but a signature made for
one host fails at the other.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import httpx
import pytest
import redis

from .conftest import REDIS_URL, S3_ENV, TEMPLATE_DIR, render, run, tool
from .test_serve import start_service, stop_service, wait_until_ready

BROWSER_DIR = TEMPLATE_DIR / "tests" / "browser"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
MIB = 1024 * 1024
FILE_BYTES = 30 * MIB
ABORT_AT = 12 * MIB  # past the first 8 MiB chunk, well before the end
BROWSER_SECONDS = 240
PASSWORD = "a long passphrase, 42"  # noqa: S105  # test users'

CHUNKED = {"database": "postgresql", "session_strategy": "redis", "upload_strategy": "chunked"}
PRESIGNED = {"database": "sqlite", "session_strategy": "jwt", "upload_strategy": "presigned"}
STREAM = {"database": "mysql", "session_strategy": "hybrid", "upload_strategy": "stream"}


def png(size: int) -> bytes:
    """A PNG signature and header, then size - 16 bytes of noise: sniffed as image/png."""
    head = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    return head + os.urandom(size - len(head))


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass(frozen=True)
class Pages:
    """The page server: one directory under two origins."""

    port: int
    files: Path

    @property
    def origin(self) -> str:
        return f"http://localhost:{self.port}"

    @property
    def page(self) -> str:
        return f"{self.origin}/page.html"

    @property
    def refused_page(self) -> str:
        return f"http://127.0.0.1:{self.port}/page.html"

    def file_url(self, name: str) -> str:
        return f"/files/{name}"  # fetched by the page from its own origin


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pages]:
    if not CHROMIUM.is_file() or not (BROWSER_DIR / "node_modules").is_dir():
        pytest.fail("Chromium or tests/browser/node_modules is missing: run scripts/browser")
    root = tmp_path_factory.mktemp("pages")
    shutil.copy(BROWSER_DIR / "page.html", root / "page.html")
    (root / "lib").symlink_to(BROWSER_DIR)
    (root / "files").mkdir()
    (root / "files" / "photo.png").write_bytes(png(FILE_BYTES))
    (root / "files" / "small.png").write_bytes(png(MIB))
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Pages(port=server.server_address[1], files=root / "files")
    finally:
        server.shutdown()
        server.server_close()


def drive(*steps: dict[str, Any]) -> list[dict[str, Any]]:
    """Run scenarios in Chromium (tests/browser/run.mjs); each step's result or error."""
    result = subprocess.run(
        ["node", str(BROWSER_DIR / "run.mjs")],
        input=json.dumps({"steps": list(steps)}),
        capture_output=True,
        text=True,
        timeout=BROWSER_SECONDS,
        check=False,
        env={**os.environ, "CHROMIUM": str(CHROMIUM)},
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    results: list[dict[str, Any]] = json.loads(result.stdout)["results"]
    return results


def outcome(step: dict[str, Any]) -> Any:
    assert "result" in step, f"{step.get('error')}\n" + "\n".join(step["console"])
    return step["result"]


def assert_refused_by_cors(step: dict[str, Any]) -> None:
    """The page's fetch failed as browsers fail a refused cross-origin request."""
    assert "error" in step, step
    assert step["error"]["name"] == "TypeError", step["error"]
    assert any("blocked by CORS policy" in line for line in step["console"]), step["console"]


@dataclass
class Service:
    """A generated service, running, and what tests check it with."""

    api: str
    answers: dict[str, str]
    project: Path
    bucket: str
    s3: Any

    def objects(self, prefix: str = "") -> dict[str, str]:
        """Key → sha256 of every object in the service's bucket."""
        listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        found = {}
        for entry in listed.get("Contents", []):
            body = self.s3.get_object(Bucket=self.bucket, Key=entry["Key"])["Body"]
            digest = hashlib.sha256()
            for chunk in body.iter_chunks(MIB):
                digest.update(chunk)
            found[entry["Key"]] = digest.hexdigest()
        return found

    def multipart_uploads(self) -> list[str]:
        listed = self.s3.list_multipart_uploads(Bucket=self.bucket)
        return [entry["Key"] for entry in listed.get("Uploads", [])]

    def user(self) -> dict[str, str]:
        """A fresh registered user's login."""
        login = {"email": f"user-{uuid.uuid4().hex[:8]}@example.com", "password": PASSWORD}
        registered = httpx.post(f"{self.api}/api/v1/auth/register", json=login)
        assert registered.status_code == 201, registered.text
        return login

    def access_token(self, login: dict[str, str]) -> str:
        answer = httpx.post(f"{self.api}/api/v1/auth/login", json=login)
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["access_token"]
        return token

    def upload(self, upload_id: str, token: str) -> dict[str, Any]:
        answer = httpx.get(
            f"{self.api}/api/v1/uploads/{upload_id}", headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 200, answer.text
        read: dict[str, Any] = answer.json()
        return read


def s3_client() -> Any:
    return boto3.client(
        "s3",
        endpoint_url=S3_ENV["S3_ENDPOINT_URL"],
        aws_access_key_id=S3_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_ENV["AWS_SECRET_ACCESS_KEY"],
        region_name="us-east-1",
    )


def public_endpoint(internal: str) -> str:
    """The same S3 server under the other loopback name: signatures do not carry over."""
    if "127.0.0.1" in internal:
        return internal.replace("127.0.0.1", "localhost")
    return internal.replace("localhost", "127.0.0.1")


@contextlib.contextmanager
def throwaway_database(database: str, project: Path) -> Iterator[str]:
    if database == "sqlite":
        (project / "var").mkdir(exist_ok=True)
        yield f"sqlite:///{project}/var/browser.db"
        return
    name = f"browser_{uuid.uuid4().hex[:8]}"
    create_db = str(TEMPLATE_DIR / "scripts" / "create-db")
    created = run([create_db, database, name], TEMPLATE_DIR)
    assert created.returncode == 0, created.stderr
    try:
        yield created.stdout.strip()
    finally:
        run([create_db, database, name, "--drop"], TEMPLATE_DIR)


def empty_and_delete(s3: Any, bucket: str) -> None:
    for entry in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
        s3.abort_multipart_upload(Bucket=bucket, Key=entry["Key"], UploadId=entry["UploadId"])
    for entry in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=entry["Key"])
    s3.delete_bucket(Bucket=bucket)


def delete_redis_keys(namespace: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        for key in client.scan_iter(match=f"{namespace}:*", count=500):
            client.unlink(key)
    finally:
        client.close()


def migrate_and_prepare_bucket(project: Path, package: str, env: dict[str, str]) -> None:
    """What a generated project runs before its first start: the migrations, then the bucket."""
    for step in (
        [tool("alembic"), "upgrade", "head"],
        [sys.executable, "-m", f"{package}.cli.prepare_bucket"],
    ):
        done = run(step, project, env=env)
        assert done.returncode == 0, f"{step}\n{done.stdout}\n{done.stderr}"


@contextlib.contextmanager
def running_service(
    answers: dict[str, str], pages: Pages, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    """Render, migrate, prepare the bucket (its CORS too) and serve one combination."""
    project = render(tmp_path_factory.mktemp("browser") / "out", **answers)
    package = next(path.name for path in (project / "src").iterdir() if path.is_dir())
    bucket = f"browser-{uuid.uuid4().hex[:12]}"
    namespace = f"browser-{uuid.uuid4().hex[:12]}"
    s3 = s3_client()
    with throwaway_database(answers["database"], project) as url:
        env = {
            **S3_ENV,
            "DATABASE_URL": url,
            "REDIS_URL": REDIS_URL,
            "REDIS_NAMESPACE": namespace,
            "S3_BUCKET": bucket,
            "S3_PUBLIC_ENDPOINT_URL": public_endpoint(S3_ENV["S3_ENDPOINT_URL"]),
            "CORS_ORIGINS": pages.origin,
            "PASSWORD_HASH_TIME_COST": "1",
            "PASSWORD_HASH_MEMORY_KIB": "1024",
            "LOG_LEVEL": "WARNING",
            # uv sync would install the package; here the shared venv imports it from src.
            "PYTHONPATH": str(project / "src"),
        }
        migrate_and_prepare_bucket(project, package, env)
        server, base_url = start_service([sys.executable, "-m", package], project, env)
        try:
            ready = wait_until_ready(base_url, server)
            assert ready.status_code == 200, ready.text
            api = base_url.replace("127.0.0.1", "localhost")  # the same site as the pages
            yield Service(api=api, answers=answers, project=project, bucket=bucket, s3=s3)
        finally:
            output = stop_service(server)
            empty_and_delete(s3, bucket)
            delete_redis_keys(namespace)
    assert "Traceback" not in output, output


@pytest.fixture(scope="module")
def chunked(pages: Pages, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    with running_service(CHUNKED, pages, tmp_path_factory) as service:
        yield service


@pytest.fixture(scope="module")
def presigned(pages: Pages, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    with running_service(PRESIGNED, pages, tmp_path_factory) as service:
        yield service


@pytest.fixture(scope="module")
def stream(pages: Pages, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    with running_service(STREAM, pages, tmp_path_factory) as service:
        yield service


def readme_snippet(project: Path, opening: str) -> str:
    """The first ```js block of the generated README's Uploads section that starts so."""
    uploads = (project / "README.md").read_text().split("\n### Uploads\n", 1)[1]
    blocks = [block.split("```", 1)[0] for block in uploads.split("```js\n")[1:]]
    return next(block for block in blocks if block.startswith(opening))


def file_digest(pages: Pages, name: str = "photo.png") -> str:
    return hashlib.sha256((pages.files / name).read_bytes()).hexdigest()


# chunked (postgresql, redis sessions): tus-js-client and Uppy, CSRF across origins


@pytest.mark.xdist_group("browser-chunked")
@pytest.mark.parametrize("client", ["tusUpload", "uppyUpload"])
def test_a_page_on_another_origin_uploads_resumably_after_an_abort(
    chunked: Service, pages: Pages, client: str
) -> None:
    before = chunked.objects("uploads/")
    step = drive(
        {
            "page": pages.page,
            "scenario": client,
            "args": {
                "api": chunked.api,
                "login": chunked.user(),
                "withCredentials": True,
                "fileUrl": pages.file_url("photo.png"),
                "abortAt": ABORT_AT,
            },
        }
    )[0]
    result = outcome(step)
    stored = {key: sha for key, sha in chunked.objects("uploads/").items() if key not in before}

    if client == "tusUpload":
        assert result["firstUrl"] == result["secondUrl"]  # resumed, not started again
        assert ABORT_AT <= result["resumedAt"] < FILE_BYTES
    else:
        assert ABORT_AT <= result["pausedAt"] < FILE_BYTES
    assert result["sha256"] == file_digest(pages)
    assert list(stored.values()) == [result["sha256"]]  # one object, byte for byte
    assert chunked.multipart_uploads() == []  # nothing left pending in S3
    assert not [key for key in chunked.objects("pending/") if key.endswith(".tail")]


@pytest.mark.xdist_group("browser-chunked")
def test_a_refused_origins_tus_upload_fails_in_the_browser_and_stores_nothing(
    chunked: Service, pages: Pages
) -> None:
    before = chunked.objects()
    # A page elsewhere cannot log in (its preflight is refused): a session from curl, say.
    login = chunked.user()
    cookie_session = httpx.post(f"{chunked.api}/api/v1/auth/login", json=login)
    assert cookie_session.status_code == 200

    step = drive(
        {
            "page": pages.refused_page,
            "scenario": "call",
            "args": {
                "api": chunked.api,
                "path": "/api/v1/uploads/tus/",
                "method": "POST",
                "headers": {
                    "Tus-Resumable": "1.0.0",
                    "Upload-Length": str(FILE_BYTES),
                    "X-CSRF-Token": cookie_session.json()["csrf_token"],
                },
                "withCredentials": True,
            },
        }
    )[0]

    assert_refused_by_cors(step)
    assert chunked.objects() == before
    assert chunked.multipart_uploads() == []


@pytest.mark.xdist_group("browser-chunked")
def test_cookie_sessions_work_across_origins_and_keep_their_csrf_check(
    chunked: Service, pages: Pages
) -> None:
    login = chunked.user()
    step = {"page": pages.page, "scenario": "cookieSession", "args": {"api": chunked.api, **login}}

    result = outcome(drive(step)[0])

    assert result["login"] == 200
    assert result["csrfTokenLength"] >= 43
    assert result["me"] == 200  # the SameSite=Lax cookie goes to the same site's API
    assert result["withoutToken"] == 403
    assert result["withoutTokenType"] == "urn:problem-type:csrf-failed"
    assert result["meAfterRefused"] == 200  # the refused request changed nothing
    assert result["withToken"] == 204
    assert result["meAfterLogout"] == 401
    assert result["pageCookies"] == ""  # the API's cookies are not the page's


# presigned (sqlite, jwt): the README's snippet, S3 reached at its public endpoint


@pytest.mark.xdist_group("browser-presigned")
def test_the_docs_render_with_every_other_host_unreachable(presigned: Service) -> None:
    """Swagger UI comes from the service's own files: /docs works offline."""
    step = drive(
        {
            "page": f"{presigned.api}/docs",
            "onlyHost": urlsplit(presigned.api).netloc,
            "read": {"selector": ".opblock-summary-path", "attribute": "data-path"},
        }
    )[0]
    shown = outcome(step)

    assert shown["elsewhere"] == []
    assert {"/api/v1/items", "/api/v1/uploads/presign"} <= set(shown["values"])


@pytest.mark.xdist_group("browser-presigned")
def test_the_readmes_presigned_snippet_runs_from_another_origin(
    presigned: Service, pages: Pages
) -> None:
    login = presigned.user()
    snippet = readme_snippet(presigned.project, "const file = input.files[0];")

    step = drive(
        {
            "page": pages.page,
            "scenario": "readmeSnippet",
            "args": {
                "api": presigned.api,
                "login": login,
                "fileUrl": pages.file_url("photo.png"),
                "snippet": snippet,
            },
        }
    )[0]
    result = outcome(step)
    upload = result["upload"]
    stored = presigned.objects("uploads/")
    read = presigned.upload(upload["id"], presigned.access_token(login))

    assert upload["status"] == "complete"
    assert upload["size"] == FILE_BYTES
    assert result["sha256"] == file_digest(pages)
    assert result["sha256"] in stored.values()
    assert read["download_url"].startswith(public_endpoint(S3_ENV["S3_ENDPOINT_URL"]))


@pytest.mark.xdist_group("browser-presigned")
def test_a_page_downloads_through_the_public_endpoint_with_bucket_cors(
    presigned: Service, pages: Pages
) -> None:
    login = presigned.user()
    snippet = readme_snippet(presigned.project, "const file = input.files[0];")
    uploaded = outcome(
        drive(
            {
                "page": pages.page,
                "scenario": "readmeSnippet",
                "args": {
                    "api": presigned.api,
                    "login": login,
                    "fileUrl": pages.file_url("small.png"),
                    "snippet": snippet,
                },
            }
        )[0]
    )

    downloaded = outcome(
        drive(
            {
                "page": pages.page,
                "scenario": "download",
                "args": {"api": presigned.api, "login": login, "id": uploaded["upload"]["id"]},
            }
        )[0]
    )
    internal_url = downloaded["downloadUrl"].replace(
        public_endpoint(S3_ENV["S3_ENDPOINT_URL"]), S3_ENV["S3_ENDPOINT_URL"], 1
    )

    assert downloaded["status"] == 200
    assert downloaded["sha256"] == uploaded["sha256"] == file_digest(pages, "small.png")
    assert downloaded["contentDisposition"].startswith("attachment;")  # exposed by bucket CORS
    assert downloaded["etag"]
    assert httpx.get(internal_url).status_code == 403  # signed for the public host only


@pytest.mark.xdist_group("browser-presigned")
def test_a_refused_origin_cannot_presign_and_stores_nothing(
    presigned: Service, pages: Pages
) -> None:
    before = presigned.objects()
    token = presigned.access_token(presigned.user())
    snippet = readme_snippet(presigned.project, "const file = input.files[0];")

    step = drive(
        {
            "page": pages.refused_page,
            "scenario": "readmeSnippet",
            "args": {
                "api": presigned.api,
                "accessToken": token,
                "fileUrl": pages.file_url("photo.png"),
                "snippet": snippet,
            },
        }
    )[0]

    assert_refused_by_cors(step)
    assert presigned.objects() == before


# stream (mysql, hybrid): a FormData POST, the README's page snippet


def form_data_upload(stream: Service, pages: Pages, page: str) -> dict[str, Any]:
    """The README's page snippet for a streamed upload, run by a page at page."""
    token = stream.access_token(stream.user())
    snippet = readme_snippet(stream.project, "const form = new FormData();")
    return drive(
        {
            "page": page,
            "scenario": "readmeSnippet",
            "args": {
                "api": stream.api,
                "accessToken": token,
                "fileUrl": pages.file_url("photo.png"),
                "snippet": snippet,
            },
        }
    )[0]


@pytest.mark.xdist_group("browser-stream")
def test_a_form_data_upload_from_another_origin_is_stored(stream: Service, pages: Pages) -> None:
    before = stream.objects("uploads/")

    result = outcome(form_data_upload(stream, pages, pages.page))
    stored = {key: sha for key, sha in stream.objects("uploads/").items() if key not in before}

    assert result["upload"]["status"] == "complete"
    assert result["upload"]["checksum"] == f"sha256:{file_digest(pages)}"
    assert list(stored.values()) == [file_digest(pages)]
    assert stream.multipart_uploads() == []


@pytest.mark.xdist_group("browser-stream")
def test_a_refused_origins_form_data_upload_fails_and_stores_nothing(
    stream: Service, pages: Pages
) -> None:
    before = stream.objects()

    step = form_data_upload(stream, pages, pages.refused_page)

    assert_refused_by_cors(step)
    assert stream.objects() == before
    assert stream.multipart_uploads() == []
