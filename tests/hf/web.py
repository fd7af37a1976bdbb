"""hostflow-web started on a free loopback port, asked for pages."""
import os
import socket
import subprocess
import urllib.error
import urllib.parse
import urllib.request

from .base import BUILD, SRC

WEB = os.environ.get('HF_WEB') or os.path.join(BUILD, 'web', 'hostflow-web')


class Web:
    def __init__(self, store, *extra):
        env = dict(os.environ)
        # librrd and fontconfig keep caches for the process's life
        env['LSAN_OPTIONS'] = 'suppressions=%s:print_suppressions=0' % os.path.join(
            SRC, 'tests', 'web_lsan.supp')
        # librrd has no frame pointers: slow unwinding names it in its leaks
        env['ASAN_OPTIONS'] = (env.get('ASAN_OPTIONS', '') + ':fast_unwind_on_malloc=0').lstrip(':')
        self.proc = subprocess.Popen([WEB, '-w', store, '-l', '127.0.0.1:0'] + list(extra),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        line = self.proc.stdout.readline().decode()
        if 'listening on' not in line:
            raise RuntimeError('hostflow-web did not start: %r %s' % (
                line, self.proc.stderr.read().decode()))
        self.port = int(line.rsplit(':', 1)[1])

    def get(self, path, params=None, raw=False):
        url = 'http://127.0.0.1:%d%s' % (self.port, path)
        if params:
            url += '?' + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=60) as r:
                return r.status, r.headers.get('Content-Type', ''), r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get('Content-Type', ''), e.read()

    def raw(self, request):
        """Send request bytes as they are; the status code (0: no answer)."""
        with socket.create_connection(('127.0.0.1', self.port), timeout=30) as s:
            s.sendall(request)
            data = b''
            while b'\r\n' not in data:
                try:
                    b = s.recv(65536)
                except ConnectionResetError:
                    break
                if not b:
                    break
                data += b
        try:
            return int(data.split(b' ', 2)[1])
        except (IndexError, ValueError):
            return 0

    def stop(self):
        self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return self.proc.returncode, err.decode('utf-8', 'replace')
