"""The bucket's listing, for playbooks/backup.yml and restore.yml.

Run with Quire's virtualenv Python as the quire user, with the settings file the services read
(QUIRE_CONFIG):

    python -c "$(cat quire-bucket-listing.py)" list > LISTING
    python -c "$(cat quire-bucket-listing.py)" compare < LISTING

``list`` prints every object under Quire's prefix, in key order, one JSON object a line: its key
(Quire's, without the prefix), size and ETag (the MD5 of what the server stored, or a multipart
upload's composite). ``compare`` reads such a listing and prints JSON: how many objects it
lists, and the keys that are missing from the bucket, whose size or ETag differs, or that it
does not list (newer objects).
"""

import json
import sys

from quire.core.config import get_settings
from quire.s3.bucket import Bucket

# Keys shown per kind of difference; beyond it only counted.
SHOWN = 200


def listing(bucket: Bucket):
    for item in bucket.listing():
        yield {"key": str(item.key), "size": item.size, "etag": item.etag or ""}


def compare(bucket: Bucket) -> dict:
    expected = {}
    for line in sys.stdin:
        if line.strip():
            item = json.loads(line)
            expected[item["key"]] = (item["size"], item["etag"])
    found = {}
    for item in listing(bucket):
        found[item["key"]] = (item["size"], item["etag"])
    missing = sorted(expected.keys() - found.keys())
    differing = sorted(key for key in expected.keys() & found.keys() if expected[key] != found[key])
    unexpected = sorted(found.keys() - expected.keys())
    return {
        "checked": len(expected),
        "counts": {
            "missing": len(missing),
            "differing": len(differing),
            "unexpected": len(unexpected),
        },
        "missing": missing[:SHOWN],
        "differing": differing[:SHOWN],
        "unexpected": unexpected[:SHOWN],
    }


def main(argv: list[str]) -> int:
    bucket = Bucket(get_settings())
    if argv == ["list"]:
        for item in listing(bucket):
            sys.stdout.write(json.dumps(item) + "\n")
        return 0
    if argv == ["compare"]:
        print(json.dumps(compare(bucket)))
        return 0
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
