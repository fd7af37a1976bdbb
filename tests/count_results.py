#!/usr/bin/env python3
"""Print 'PASSED FAILED' counted from a meson testlog.json (skips excluded)."""
import json
import sys

passed = failed = 0
with open(sys.argv[1]) as log:
    for line in log:
        result = json.loads(line).get('result')
        if result in ('OK', 'EXPECTEDFAIL'):
            passed += 1
        elif result != 'SKIP':
            failed += 1
print(passed, failed)
