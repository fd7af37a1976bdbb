"""Running hostflow-collector on loopback and reading its status and store."""

import atexit
import collections
import json
import os
import signal
import subprocess
import threading
import time

from .base import BUILD, SRC, describe_exit, run, sanitizer_report
from .dump import dump_count, dump_csv
from .net import stop

# ================================================================ collector
#
# Helpers for the collector end-to-end tests (tests/collector_*.py): run
# hostflow-collector on loopback ports in a temporary directory, read its
# status.json and its store, send it flow exports (replayed from captures
# or crafted with struct), and decode the same exports with tshark.

COLLECTOR = os.environ.get('HF_COLLECTOR') or os.path.join(BUILD,
                                                            'hostflow-collector')
REPLAY = os.environ.get('HF_REPLAY') or os.path.join(BUILD, 'tests', 'replay_exports')
BENCH = os.path.join(SRC, '..', 'shared', 'bench')
PEN = int(os.environ.get('HF_PEN') or 32473)     # meson option enterprise_number
LISTENING = 'hostflow-collector: listening on '
COUNTERS = ('messages', 'records', 'options_records', 'templates',
            'template_withdrawals', 'sequence_lost', 'sequence_reorder',
            'pending_decoded', 'pending_dropped', 'malformed')


# Children of the collector tests still running (collectors, nfcapd): killed
# when the test exits or is terminated (meson's timeout sends SIGTERM), so
# no collector outlives its test.
_CHILDREN = set()


def _kill_children():
    for p in list(_CHILDREN):
        if p.poll() is None:
            p.kill()
            p.wait()
    _CHILDREN.clear()


def _on_sigterm(signum, frame):
    _kill_children()
    os._exit(128 + signum)


def _track(proc):
    _CHILDREN.add(proc)
    return proc


atexit.register(_kill_children)
if threading.current_thread() is threading.main_thread() and \
        signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
    signal.signal(signal.SIGTERM, _on_sigterm)


def parse_listening(text):
    """[(proto, host, port)] from the collector's "listening on" lines."""
    out = []
    for line in text.splitlines():
        if line.startswith(LISTENING):
            spec = line[len(LISTENING):].strip()
            proto, _, rest = spec.partition(':')
            host, _, port = rest.rpartition(':')
            out.append((proto, host, int(port)))
    return out


class Collector:
    """A hostflow-collector child in its own directory (DIR/NAME/store,
    DIR/NAME/state by default; both survive restarts).

    listen: the -l specs (default UDP and TCP on 127.0.0.1 port 0, so the
    kernel picks free ports; an empty list leaves them to the config file,
    then give nports).  After start(): .ports = [(proto, host, port)],
    .udp / .tcp = the first bound port of each kind.  Use as a context
    manager: a collector still running at the end of the block is killed."""

    def __init__(self, tmp, name='collector', listen=('udp:127.0.0.1:0', 'tcp:127.0.0.1:0'),
                 config=None, args=(), slot_seconds=60, store=None, state=None,
                 nports=None):
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        self.store = store or os.path.join(self.dir, 'store')
        self.state = state or os.path.join(self.dir, 'state')
        self.listen = list(listen)
        self.nports = nports if nports is not None else len(self.listen)
        if config is None:
            # tests count per session: list every session in status.json,
            # not only the busiest 100 (collector-faults tests that bound)
            config = os.path.join(self.dir, 'all-sessions.conf')
            with open(config, 'w') as f:
                f.write('[collector]\nstatus-exporters = 1000000\n')
        self.config = config
        self.args = list(args)
        self.slot_seconds = slot_seconds
        self.proc = None
        self.runs = 0
        self.err_text = ''
        self.old_stderr = ''          # of the runs before this one
        self.ports = []
        self.udp = self.tcp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def command(self):
        cmd = [COLLECTOR]
        for spec in self.listen:
            cmd += ['-l', spec]
        if self.config:
            cmd += ['-c', self.config]
        cmd += ['-w', self.store, '-s', self.state,
                '--slot-seconds', str(self.slot_seconds)]
        return cmd + self.args

    def start(self, timeout=30):
        """Starts the collector and waits until all its sockets are bound
        and it wrote status.json; RuntimeError if it exits or hangs."""
        if self.proc:
            self.old_stderr += self.stderr()
        self.runs += 1
        self.err_path = os.path.join(self.dir, 'stderr-%d.txt' % self.runs)
        started = int(time.time() * 1000)
        with open(self.err_path, 'wb') as err:
            self.proc = _track(subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                                stdout=subprocess.DEVNULL, stderr=err))
        deadline = time.time() + timeout
        while True:
            text = self.stderr()
            self.ports = parse_listening(text)
            if self.proc.poll() is not None:
                raise RuntimeError('collector %s at start: %s' %
                                   (describe_exit(self.proc), text.strip()))
            st = self.status(retry=False)
            if len(self.ports) >= max(self.nports, 1) and st and st['time_ms'] >= started:
                break
            if time.time() > deadline:
                self.kill()
                raise RuntimeError('collector not ready after %d s: %s' % (timeout, text))
            time.sleep(0.05)
        kinds = {}
        for proto, _, port in self.ports:
            kinds.setdefault(proto, port)
        self.udp, self.tcp = kinds.get('udp'), kinds.get('tcp')
        return self

    def stderr(self):
        """What the current run printed on stderr so far."""
        try:
            with open(self.err_path, errors='replace') as f:
                self.err_text = f.read()
        except OSError:
            pass                        # the directory is gone: the last read
        return self.err_text

    def all_stderr(self):
        return self.old_stderr + (self.stderr() if self.proc else '')

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def status(self, retry=True):
        """STATE/status.json as a dict (None if absent and not retry)."""
        path = os.path.join(self.state, 'status.json')
        for _ in range(50 if retry else 1):
            try:
                with open(path) as f:
                    return json.load(f)
            except (OSError, ValueError):
                if not retry:
                    return None
                time.sleep(0.1)
        raise RuntimeError('no readable %s' % path)

    def wait(self, pred, timeout=30):
        """The first status (rewritten every second) for which pred holds,
        or None after timeout (self.last holds the last one read)."""
        deadline = time.time() + timeout
        while True:
            self.last = self.status()
            if pred(self.last):
                return self.last
            if time.time() > deadline or not self.alive():
                return None
            time.sleep(0.2)

    def wait_messages(self, n, timeout=30, **match):
        """Waits until the exporters matching (see exporter_sum) account for
        n messages (every datagram is counted as one, even garbage)."""
        return self.wait(lambda st: exporter_sum(st, **match)['messages'] >= n, timeout)

    def wait_stored(self, n, timeout=30):
        """Waits until the store took n records (store.records)."""
        return self.wait(lambda st: st['store']['records'] >= n, timeout)

    def stop(self, sig=signal.SIGTERM, timeout=15):
        """Signals the collector, reaps it (kill -9 after timeout: a hang);
        returns its exit status."""
        rc = stop(self.proc, sig, timeout)
        self.stderr()
        return rc

    def kill(self):
        """kill -9."""
        if self.alive():
            self.proc.kill()
        self.proc.wait()
        self.stderr()
        return self.proc.returncode

    def sources(self):
        """Source directories in the store."""
        if not os.path.isdir(self.store):
            return []
        return sorted(n for n in os.listdir(self.store)
                      if not n.startswith('.') and os.path.isdir(os.path.join(self.store, n)))

    def files(self, source=None, temp=False):
        """Complete slot files (temp=True: the open .tmp files) of a source
        or of all, sorted by path; DIR/.damaged is not part of the layout."""
        return store_files(self.store, source, temp)

    def totals(self, source=None):
        """(records, packets, bytes) over the complete slot files."""
        files = self.files(source)
        return dump_count(files) if files else (0, 0, 0)

    def records(self, source=None):
        """The records of the complete slot files (dump_csv dicts)."""
        files = self.files(source)
        return dump_csv(files)[0] if files else []

    def check_exit(self, check, what, rc, codes=(0,)):
        """rc (from stop) in codes and no sanitizer report in any run."""
        check.ok(rc in codes, '%s: collector %s, want exit %s; stderr: %s' % (
            what, describe_exit(self.proc), '/'.join(map(str, codes)),
            ' | '.join(self.all_stderr().strip().splitlines()[-6:])))
        report = sanitizer_report(self.all_stderr())
        check.ok(report is None, '%s: collector sanitizer report: %s' % (what, report))


def same_items(check, what, want, got):
    """want and got hold the same items as multisets (e.g. flow_key
    tuples); a mismatch names the counts and a few differing items."""
    want, got = collections.Counter(want), collections.Counter(got)
    missing, extra = want - got, got - want
    return check.ok(not missing and not extra,
                    '%s: %d expected, %d got; %d missing %s; %d unexpected %s' % (
                        what, sum(want.values()), sum(got.values()),
                        sum(missing.values()), sorted(missing)[:3],
                        sum(extra.values()), sorted(extra)[:3]))


def slot_order(path):
    """Sort key of slot files: time stamp, then the -N suffix."""
    name = os.path.basename(path)
    stem = name[len('flows-'):-len('.ipfix')]
    stamp, _, seq = stem.partition('-')
    return (os.path.dirname(path), stamp, int(seq or 0))


def store_files(store, source=None, temp=False):
    """Slot files of the store layout STORE/SOURCE/YYYY/MM/DD/: complete
    (flows-*.ipfix) or temp (.flows-*.ipfix.tmp) ones, sorted."""
    out = []
    if not os.path.isdir(store):
        return out
    for src in ([source] if source else os.listdir(store)):
        top = os.path.join(store, src)
        if src.startswith('.') or not os.path.isdir(top):
            continue
        for d, _, names in os.walk(top):
            for n in names:
                if (temp and n.startswith('.flows-') and n.endswith('.ipfix.tmp')) or \
                   (not temp and n.startswith('flows-') and n.endswith('.ipfix')):
                    out.append(os.path.join(d, n))
    return sorted(out)


def exporter_sum(status, addr=None, port=None, listen_port=None, version=None):
    """Counters (COUNTERS and malformed_by_reason) summed over the exporter
    sessions of a status.json that match the given fields."""
    tot = dict.fromkeys(COUNTERS, 0)
    tot['by_reason'] = {}
    tot['sessions'] = 0
    for e in status.get('exporters', []):
        if (addr is not None and e['exporter'] != addr) or \
           (port is not None and e['port'] != port) or \
           (listen_port is not None and e['listen_port'] != listen_port) or \
           (version is not None and e['version'] != version):
            continue
        tot['sessions'] += 1
        for k in COUNTERS:
            tot[k] += e[k]
        for k, v in e['malformed_by_reason'].items():
            tot['by_reason'][k] = tot['by_reason'].get(k, 0) + v
    return tot


def malformed_text(tot):
    """'reason N, ...' of the non-zero malformed counters."""
    return ', '.join('%s %d' % kv for kv in sorted(tot['by_reason'].items()) if kv[1]) or 'none'


def collector_run(args, timeout=30):
    """hostflow-collector ARGS to completion (for option errors)."""
    return run([COLLECTOR] + list(args), timeout=timeout)
