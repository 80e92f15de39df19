"""The outside judge of Rapport's STIX pattern reader: OASIS's own stix2-patterns (PyPI).

Reads one JSON string per line on standard input, a STIX 2.1 pattern, and prints one JSON
object per line: whether stix2-patterns accepts it, and its errors.
"""

import json
import sys

from stix2patterns.validator import validate

for line in sys.stdin:
    if not line.strip():
        continue
    pattern = json.loads(line)
    valid, errors = validate(pattern, ret_errs=True, stix_version="2.1")
    print(json.dumps({"valid": valid, "errors": errors}))
