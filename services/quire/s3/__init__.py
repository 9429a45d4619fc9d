"""S3-compatible object storage: the bucket mirror (``s3`` queue), S3 as primary storage,
signed download URLs and ``quire s3 sync``. See docs/architecture.md, "Files"."""
