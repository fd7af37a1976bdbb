"""Loopback sockets: free ports, stopping children, capturing on lo."""

import contextlib
import os
import signal
import socket
import subprocess
import time

# ---------------------------------------------------------------- network


def free_port(kind=socket.SOCK_DGRAM):
    """A currently unused 127.0.0.1 port (random high, from the kernel)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def stop(proc, sig=signal.SIGTERM, timeout=20):
    """Signal a child we started and reap it; kill it if it hangs."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


@contextlib.contextmanager
def loopback_capture(port, out, proto='udp', bpf=None):
    """tshark capturing `PROTO port PORT` (or the filter bpf) on lo into
    out while the block runs.  Yields once tshark reports it is capturing;
    raises PermissionError when capturing on lo is not possible."""
    err_path = out + '.stderr'
    with open(err_path, 'wb') as err:
        proc = subprocess.Popen(['tshark', '-i', 'lo', '-f', bpf or '%s port %d' % (proto, port),
                                 '-w', out, '-q'],
                                stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.time() + 30
        while True:
            text = open(err_path, errors='replace').read()
            if 'Capturing on' in text:
                break
            if proc.poll() is not None or time.time() > deadline:
                stop(proc)
                raise PermissionError('tshark cannot capture on lo: ' + text.strip())
            time.sleep(0.1)
        time.sleep(0.5)          # "Capturing on" precedes the first read a little
        yield proc
        time.sleep(1.0)          # let the last datagrams reach the ring
    finally:
        stop(proc, signal.SIGINT)
        with contextlib.suppress(OSError):
            os.unlink(err_path)
