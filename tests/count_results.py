#!/usr/bin/env python3
"""Print 'PASSED FAILED SKIPPED' counted from a meson testlog.json; the
names of skipped tests go to standard error, so a run says what it did not
check."""
import json
import sys

passed = failed = skipped = 0
with open(sys.argv[1]) as log:
    for line in log:
        t = json.loads(line)
        result = t.get('result')
        if result in ('OK', 'EXPECTEDFAIL'):
            passed += 1
        elif result == 'SKIP':
            skipped += 1
            print('skipped: %s' % t.get('name'), file=sys.stderr)
        else:
            failed += 1
print(passed, failed, skipped)
