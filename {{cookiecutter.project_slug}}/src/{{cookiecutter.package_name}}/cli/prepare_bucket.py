"""Prepare the bucket: python -m <package>.cli.prepare_bucket

Creates S3_BUCKET unless it exists, then installs the bucket rules uploads rely on,
keeping any other rule the bucket has:

* lifecycle: abort multipart uploads, and expire objects under pending/ (presigned
  uploads never completed, resumable uploads' tails), once they are older than
  UPLOAD_EXPIRY rounded up to whole days; the cleanup command does the same from
  the database, this catches what it misses (a crash between two steps, say);
* CORS, when S3_CORS_ORIGINS (by default CORS_ORIGINS) is set: those origins may
  GET and HEAD (downloads through fetch) from a browser, and POST where the upload
  strategy has browsers send files to the bucket (presigned uploads).

Run it once per environment and again after changing those settings; running it
again changes nothing. Servers without lifecycle support (some S3-compatible ones)
get a warning, not an error: the cleanup command still removes what is left.
"""

from __future__ import annotations

import asyncio

from ..logs import configure_logging
from ..settings import get_settings
from ..uploads.bucket import prepare_bucket
from ..uploads.strategy import BUCKET_CORS_METHODS


def main() -> None:
    settings = get_settings()
    configure_logging(settings)
    asyncio.run(prepare_bucket(settings, BUCKET_CORS_METHODS))


if __name__ == "__main__":
    main()
