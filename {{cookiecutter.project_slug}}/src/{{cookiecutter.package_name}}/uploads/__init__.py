"""File uploads to S3-compatible object storage."""
