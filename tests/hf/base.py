"""Paths of the built tools and captures, the Check reporter, and running
children (hostflow-probe, sanitizer reports, exit descriptions)."""

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor


HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))     # tests/
SRC = os.environ.get('HF_SRC') or os.path.dirname(HERE)
BUILD = os.environ.get('HF_BUILD') or os.path.join(SRC, 'build')
PROBE = os.environ.get('HF_PROBE') or os.path.join(BUILD, 'probe', 'hostflow-probe')
DUMP = os.environ.get('HF_DUMP') or os.path.join(BUILD, 'dump', 'hostflow-dump')
PCAPS = os.environ.get('HF_PCAPS') or os.path.join(SRC, '..', 'shared', 'pcaps')

SKIP = 77          # meson: exit status 77 = test skipped
# children mostly wait (tshark start-up, sanitizer exit checks): overlap them
WORKERS = 2 * max(2, os.cpu_count() or 2)

# ---------------------------------------------------------------- reporting


class Check:
    """Collects mismatches; finish() prints a verdict and exits 0 or 1."""

    def __init__(self, name):
        self.name = name
        self.failures = []

    def ok(self, cond, what):
        if not cond:
            self.failures.append(what)
            print('  MISMATCH: ' + what, flush=True)
        return bool(cond)

    def eq(self, what, expected, got):
        return self.ok(expected == got,
                       '%s: expected %r, got %r' % (what, expected, got))

    def probe_ran(self, p, what, codes=(0,)):
        """p (a finished probe or dump) exited with one of codes and printed
        no sanitizer report."""
        ok = self.ok(p.returncode in codes, '%s: %s, want exit %s; stderr: %s' % (
            what, describe_exit(p), '/'.join(map(str, codes)),
            ' | '.join(p.stderr.strip().splitlines()[-6:])))
        report = sanitizer_report(p.stderr)
        return self.ok(report is None, '%s: sanitizer report: %s' % (what, report)) and ok

    def finish(self):
        if self.failures:
            print('\n%s: FAILED, %d mismatch(es):' % (self.name, len(self.failures)))
            for f in self.failures:
                print('  - ' + f)
            sys.exit(1)
        print('\n%s: all comparisons matched' % self.name)
        sys.exit(0)


def table(header, rows):
    """Print rows (sequences) under header as aligned columns."""
    rows = [[str(c) for c in r] for r in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in rows)) if rows else len(str(h))
              for i, h in enumerate(header)]
    line = '  '.join('%-*s' % (w, h) for w, h in zip(widths, header))
    print(line)
    print('-' * len(line))
    for r in rows:
        print('  '.join('%-*s' % (w, c) for w, c in zip(widths, r)))
    sys.stdout.flush()


def need_tools(*names):
    """Exit 77 (skip) when a required external program is missing; under
    tests/run-all.sh (HF_REQUIRE_TOOLS=1) that is a failure instead."""
    need_installed([n for n in names if not shutil.which(n)])


def need_installed(missing):
    """need_tools' verdict on a list of what is missing (programs or
    packages); nothing when it is empty."""
    if missing:
        if os.environ.get('HF_REQUIRE_TOOLS') == '1':
            print('FAIL: not installed: %s (packaging/install-deps.sh installs it)'
                  % ', '.join(missing))
            sys.exit(1)
        print('SKIP: not installed: ' + ', '.join(missing))
        sys.exit(SKIP)


def parallel(fn, items):
    """fn over items on a few threads (each call mostly waits on a child
    process); results in the order of items."""
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(fn, items))


# ---------------------------------------------------------------- captures


def captures():
    """Every capture file in HF_PCAPS (*.pcap, *.pcapng), sorted by name."""
    names = [n for n in os.listdir(PCAPS) if n.endswith(('.pcap', '.pcapng'))]
    if not names:
        print('no captures in %s' % PCAPS)
        sys.exit(1)
    return sorted(names)


def pcap(name):
    return os.path.join(PCAPS, name)


@contextlib.contextmanager
def tempdir(prefix='hftest-'):
    d = tempfile.mkdtemp(prefix=prefix)
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---------------------------------------------------------------- the tools


def run(cmd, timeout=300, **kw):
    """Run cmd to completion; stdout/stderr as text (bytes undecodable are
    replaced)."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, **kw)
    p.stdout = p.stdout.decode('utf-8', 'replace')
    p.stderr = p.stderr.decode('utf-8', 'replace')
    return p


def run_probe(args, timeout=300):
    return run([PROBE] + list(args), timeout=timeout)


def probe_to_file(inputs, out, *extra, timeout=300):
    """hostflow-probe -r IN... -o OUT EXTRA...; returns the CompletedProcess."""
    if isinstance(inputs, str):
        inputs = [inputs]
    args = []
    for i in inputs:
        args += ['-r', i]
    return run_probe(args + ['-o', out] + list(extra), timeout=timeout)


SANITIZER_MARKS = ('ERROR: AddressSanitizer', 'ERROR: LeakSanitizer',
                   'runtime error:', 'SUMMARY: UndefinedBehaviorSanitizer')


def sanitizer_report(stderr):
    """The first line of an ASan/LSan/UBSan report in stderr, or None (ASan's
    default exit status is 1, the same as an ordinary error)."""
    for line in stderr.splitlines():
        if any(m in line for m in SANITIZER_MARKS):
            return line.strip()
    return None


def describe_exit(p):
    if p.returncode < 0:
        try:
            return 'killed by %s' % signal.Signals(-p.returncode).name
        except ValueError:
            return 'killed by signal %d' % -p.returncode
    return 'exit %d' % p.returncode
