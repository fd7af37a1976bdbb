#!/usr/bin/env python3
"""The Debian package, built and installed into a clean Debian 12 root:

- packaging/build-deb.sh builds hostflow_*.deb from the source tree
  (DEB_BUILD_OPTIONS=nocheck: the unit tests run in this suite anyway);
- dpkg-deb -I/-c: every program, man page, unit, default config, domain
  list and the information-model XML are in it; the files under /etc are
  its conffiles; postinst creates the hostflow user and /var/lib/hostflow;
  it depends on the Debian libraries, publicsuffix, adduser, procps
  (/bin/kill, the collector unit's ExecReload) and libjs-dygraphs (the web
  view's zoomable graphs, served from /usr/share/javascript);
- lintian reports no error (warnings and info are printed);
- it installs with apt into a Debian 12 root made by debootstrap (minbase;
  the base is cached as a tarball in the build directory, so only the
  first run downloads it): the user is a system user without a shell,
  /var/lib/hostflow is its, mode 0750; dpkg lists the conffiles;
- systemd-analyze verify passes on every unit there; every unit's
  Documentation= man page is installed; systemd-analyze security
  --offline prints each unit's exposure, the collector's below 3.0;
- the collector unit's ExecStart runs there as its User= with no
  capabilities, in a network namespace of its own: it says READY=1 on
  $NOTIFY_SOCKET once listening on the config's four sockets, stores
  IPFIX flows sent to 4739 under /var/lib/hostflow; the probe unit's
  ExecStart (instance lo, /etc/default/hostflow-probe's options) as
  hostflow with CAP_NET_RAW alone puts lo in promiscuous mode and its
  flows reach the collector; the collector answers SIGHUP with
  RELOADING=1 then READY=1 and SIGTERM with STOPPING=1 and exit 0; the
  report unit's ExecStart then reads that store as hostflow (exit 0);
- purge removes /var/lib/hostflow and the conffiles.

Needs root (chroot, mount, unshare) and debhelper, lintian, debootstrap;
skips (77) without them.  Without a reachable Debian mirror (debootstrap
fails), the install checks run on `dpkg-deb -x` of the package instead,
and say so.  HF_DEBIAN_MIRROR: another mirror; HF_DEBOOTSTRAP_TAR: where
the base root's tarball is cached."""
import glob
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

SUITE = 'bookworm'
UNITS = ['hostflow-collector.service', 'hostflow-probe@.service',
         'hostflow-report.service', 'hostflow-report.timer']
FILES = ['usr/sbin/hostflow-collector', 'usr/sbin/hostflow-probe',
         'usr/bin/hostflow-report', 'usr/bin/hostflow-dump',
         'usr/share/man/man8/hostflow-collector.8.gz', 'usr/share/man/man8/hostflow-probe.8.gz',
         'usr/share/man/man1/hostflow-report.1.gz', 'usr/share/man/man1/hostflow-dump.1.gz',
         'usr/share/man/man5/hostflow-names.5.gz', 'usr/share/man/man5/hostflow.conf.5.gz',
         'usr/share/man/man7/hostflow-filter.7.gz', 'usr/share/man/man7/hostflow-ipfix.7.gz',
         'usr/share/hostflow/domain-merge.list', 'usr/share/hostflow/domain-ignore.list',
         'usr/share/hostflow/hostflow-ie.xml', 'usr/share/hostflow/flow-events.schema.json',
         'usr/share/doc/hostflow/examples/events-to-sqlite',
         'usr/share/doc/hostflow/examples/new-hostname-notify',
         'usr/lib/sysctl.d/60-hostflow.conf',
         'usr/share/doc/hostflow/copyright'] + ['lib/systemd/system/' + u for u in UNITS]
CONFFILES = ['/etc/cron.d/hostflow-report', '/etc/default/hostflow-probe',
             '/etc/hostflow/hostflow.conf']
DEPENDS = ['libc6', 'libfixbuf9', 'libglib2.0-0', 'libpcap0.8', 'libssl3', 'libsystemd0',
           'libcurl4', 'adduser', 'publicsuffix', 'procps', 'libjs-dygraphs']


def sh(cmd, timeout=600, **kw):
    return hftest.run(cmd, timeout=timeout, **kw)


def timed(what, fn, *a, **kw):
    t = time.time()
    r = fn(*a, **kw)
    print('   (%s: %.0f s)' % (what, time.time() - t), flush=True)
    return r


# ---------------------------------------------------------------- build


def build(check, out):
    print('== packaging/build-deb.sh', flush=True)
    env = dict(os.environ, DEB_BUILD_OPTIONS='nocheck parallel=%d' % min(2, os.cpu_count() or 1))
    for k in ('ASAN_OPTIONS', 'UBSAN_OPTIONS', 'MESON_TESTTHREADS'):
        env.pop(k, None)
    p = timed('build', sh, ['sh', os.path.join(hftest.SRC, 'packaging', 'build-deb.sh'), out],
              900, env=env)
    debs = [d for d in glob.glob(os.path.join(out, 'hostflow_*.deb'))]
    if not check.ok(p.returncode == 0 and len(debs) == 1, 'build-deb.sh: exit %d, %s\n%s'
                    % (p.returncode, debs, (p.stdout + p.stderr)[-3000:])):
        check.finish()
    print('built %s' % os.path.basename(debs[0]))
    return debs[0]


def contents(check, deb):
    print('\n== dpkg-deb -I / -c', flush=True)
    p = sh(['dpkg-deb', '-c', deb])
    paths = {line.split()[5].lstrip('.').lstrip('/').rstrip('/') for line in p.stdout.splitlines()}
    for f in FILES + [c.lstrip('/') for c in CONFFILES]:
        check.ok(f in paths, 'not in the package: /%s' % f)
    with hftest.tempdir() as ctl:
        sh(['dpkg-deb', '-e', deb, ctl])
        conffiles = open(os.path.join(ctl, 'conffiles')).read().split()
        check.eq('conffiles', sorted(CONFFILES), sorted(conffiles))
        post = open(os.path.join(ctl, 'postinst')).read()
        check.ok('adduser --system' in post and 'hostflow' in post,
                 'postinst does not create the hostflow system user')
        check.ok('/var/lib/hostflow' in post and 'chown hostflow:hostflow' in post,
                 'postinst does not create /var/lib/hostflow for hostflow')
        check.ok("deb-systemd-helper enable 'hostflow-collector.service'" in post,
                 'postinst does not enable the collector')
        postrm = open(os.path.join(ctl, 'postrm')).read()
        check.ok('rm -rf /var/lib/hostflow' in postrm, 'postrm: purge keeps /var/lib/hostflow')
        print('maintainer scripts: %s' % ' '.join(sorted(
            f for f in os.listdir(ctl) if f in ('preinst', 'postinst', 'prerm', 'postrm'))))
    depends = sh(['dpkg-deb', '-f', deb, 'Depends']).stdout.strip()
    print('Depends: %s' % depends)
    names = {d.strip().split()[0] for d in depends.split(',')}
    for d in DEPENDS:
        check.ok(d in names, 'Depends lacks %s: %s' % (d, depends))


def lintian(check, deb):
    print('\n== lintian', flush=True)
    p = timed('lintian', sh, ['lintian', '--info', '--display-info', '--tag-display-limit', '0',
                              deb], 600)
    tags = [line for line in p.stdout.splitlines() if re.match(r'^[EWIPX]: ', line)]
    for t in tags:
        print('   ' + t)
    errors = [t for t in tags if t.startswith('E:')]
    warnings = [t for t in tags if t.startswith('W:')]
    print('lintian: %d errors, %d warnings, %d info' % (len(errors), len(warnings),
                                                         len(tags) - len(errors) - len(warnings)))
    check.eq('lintian errors', [], errors)
    check.ok(p.returncode == 0 or not errors, 'lintian exit %d: %s' % (p.returncode, p.stderr))


# ---------------------------------------------------------------- a Debian 12 root


def base_tarball(check):
    """A cached debootstrap --variant=minbase root, as a tarball."""
    cache = os.environ.get('HF_DEBOOTSTRAP_TAR') or os.path.join(
        hftest.BUILD, 'packaging-cache', '%s-minbase.tar' % SUITE)
    if os.path.exists(cache):
        print('debootstrap root: cached %s' % cache)
        return cache
    os.makedirs(os.path.dirname(cache), exist_ok=True)
    with tempfile.TemporaryDirectory(prefix='hf-debootstrap-', dir=os.path.dirname(cache)) as d:
        root = os.path.join(d, 'root')
        print('debootstrap --variant=minbase %s (first run; cached afterwards)' % SUITE, flush=True)
        p = timed('debootstrap', sh, ['debootstrap', '--variant=minbase', SUITE, root,
                                      os.environ.get('HF_DEBIAN_MIRROR',
                                                     'http://deb.debian.org/debian')], 900)
        if p.returncode != 0:
            print('debootstrap failed (no mirror?): %s' % (p.stdout + p.stderr)[-1500:])
            return None
        tmp = cache + '.part'
        if sh(['tar', '-C', root, '-cf', tmp, '.']).returncode != 0:
            return None
        os.rename(tmp, cache)
    return cache


class Root:
    """A Debian root from the tarball, /proc mounted while in use."""

    def __init__(self, tarball, where):
        self.dir = os.path.join(where, 'root')
        os.makedirs(self.dir)
        subprocess.run(['tar', '-C', self.dir, '-xf', tarball], check=True)
        shutil.copy('/etc/resolv.conf', os.path.join(self.dir, 'etc', 'resolv.conf'))
        subprocess.run(['mount', '-t', 'proc', 'proc', os.path.join(self.dir, 'proc')],
                       check=True)

    def run(self, cmd, timeout=600, env=None):
        e = {'PATH': '/usr/sbin:/usr/bin:/sbin:/bin', 'LANG': 'C.UTF-8',
             'DEBIAN_FRONTEND': 'noninteractive'}
        e.update(env or {})
        return sh(['chroot', self.dir, 'sh', '-c', cmd], timeout, env=e)

    def path(self, p):
        return os.path.join(self.dir, p.lstrip('/'))

    def close(self):
        subprocess.run(['umount', '-l', os.path.join(self.dir, 'proc')])


def unit_value(text, key):
    vals = re.findall(r'^%s=(.*)$' % re.escape(key), text, re.M)
    return vals[-1].strip() if vals else None


def install(check, root, deb):
    print('\n== apt install ./%s into a clean Debian 12 root' % os.path.basename(deb), flush=True)
    shutil.copy(deb, root.path('/tmp'))
    p = timed('apt', root.run, 'apt-get update -qq && apt-get install -y -qq '
              '--no-install-recommends /tmp/%s systemd' % os.path.basename(deb))
    if not check.ok(p.returncode == 0, 'apt install: %s' % (p.stdout + p.stderr)[-3000:]):
        return False
    pw = root.run('getent passwd hostflow').stdout.strip().split(':')
    print('hostflow user: %s' % ':'.join(pw))
    check.ok(len(pw) == 7 and int(pw[2]) < 1000, 'hostflow is not a system user: %s' % pw)
    check.ok(len(pw) == 7 and pw[6] in ('/usr/sbin/nologin', '/bin/false'),
             'hostflow has a login shell: %s' % pw)
    st = root.run('stat -c "%U:%G %a" /var/lib/hostflow').stdout.strip()
    check.eq('/var/lib/hostflow owner and mode', 'hostflow:hostflow 750', st)
    conf = root.run("dpkg-query -W -f='${Conffiles}' hostflow").stdout.split()
    check.eq('conffiles dpkg knows', sorted(CONFFILES), sorted(c for c in conf if c.startswith('/')))
    for b in ('hostflow-collector', 'hostflow-probe', 'hostflow-report', 'hostflow-dump'):
        p = root.run('%s --version' % b)
        check.ok(p.returncode == 0 and '0.' in p.stdout, '%s --version: %r %r'
                 % (b, p.stdout, p.stderr))
    return True


def units(check, root):
    print('\n== systemd-analyze verify, Documentation= pages, security', flush=True)
    names = [u.replace('@.', '@eth0.') for u in UNITS]
    p = root.run('cd /lib/systemd/system && systemd-analyze verify --man=no %s' % ' '.join(names))
    check.ok(p.returncode == 0 and not p.stderr.strip(), 'systemd-analyze verify: exit %d: %s%s'
             % (p.returncode, p.stdout, p.stderr))
    print('systemd-analyze verify %s: exit %d' % (' '.join(names), p.returncode))
    for u in UNITS:
        text = open(root.path('/lib/systemd/system/' + u)).read()
        for page, sec in re.findall(r'man:([\w.-]+)\((\d)\)', text):
            check.ok(os.path.exists(root.path('/usr/share/man/man%s/%s.%s.gz' % (sec, page, sec))),
                     '%s: Documentation=man:%s(%s) is not installed' % (u, page, sec))
    rows = []
    for u in names:
        if u.endswith('.timer'):
            continue
        p = root.run('cd /lib/systemd/system && systemd-analyze security --offline=true '
                     '--no-pager %s' % u)
        m = re.search(r'Overall exposure level for \S+: ([\d.]+) (\w+)', p.stdout)
        rows.append((u, m.group(1) if m else '?', m.group(2) if m else p.stderr.strip()[:80]))
        if u.startswith('hostflow-collector'):
            check.ok(m and float(m.group(1)) < 3.0, 'collector exposure %s, want < 3.0'
                     % (m.group(1) if m else p.stdout[-500:]))
    hftest.table(['unit', 'exposure', 'verdict'], rows)


def run_units(check, root):
    """The collector unit's command line as the unit runs it, in a network
    namespace of our own (its config listens on 4739, 2055, 9995 of every
    address): this script again under unshare -n."""
    print('\n== the collector unit\'s ExecStart as hostflow, in a network namespace', flush=True)
    p = subprocess.run(['unshare', '-n', sys.executable, os.path.abspath(__file__),
                        '--in-netns', root.dir], timeout=120)
    check.eq('run in a network namespace: exit', 0, p.returncode)


def in_netns(rootdir):
    """Runs under unshare -n; exit 0 when all is well."""
    check = hftest.Check('packaging_deb (netns)')
    subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True)
    unitdir = os.path.join(rootdir, 'lib/systemd/system')
    text = open(os.path.join(unitdir, 'hostflow-collector.service')).read()
    user = unit_value(text, 'User')
    argv = shlex.split(unit_value(text, 'ExecStart'))
    check.eq('collector unit: Type', 'notify', unit_value(text, 'Type'))
    check.eq('collector unit: CapabilityBoundingSet', '', unit_value(text, 'CapabilityBoundingSet'))
    print('User=%s ExecStart=%s' % (user, ' '.join(argv)))
    nsock = os.path.join(rootdir, 'run', 'hf-notify')
    os.makedirs(os.path.dirname(nsock), exist_ok=True)
    if os.path.exists(nsock):
        os.unlink(nsock)
    ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ns.bind(nsock)
    os.chmod(nsock, 0o777)
    ns.settimeout(15)
    # as the unit: its user, no capabilities at all
    cmd = ['chroot', rootdir, 'setpriv', '--reuid=' + user, '--regid=' + user, '--init-groups',
           '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs'] + argv
    env = {'PATH': '/usr/sbin:/usr/bin', 'NOTIFY_SOCKET': '/run/hf-notify'}
    col = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE)

    def note(what):
        try:
            msg = ns.recv(4096).decode()
        except socket.timeout:
            msg = ''
        print('notify: %s' % msg.replace('\n', ' | '))
        check.ok(what in msg.split('\n'), 'wanted %s on NOTIFY_SOCKET, got %r' % (what, msg))

    note('READY=1')
    vals = [hftest.flow_values(i) for i in range(20)]
    exp = hftest.Exporter(4739)
    exp.send(hftest.ipfix_message([hftest.ipfix_template_set([(256, hftest.STD_V4)]),
                                   hftest.ipfix_data_set(256, [hftest.pack_record(
                                       hftest.STD_V4, v) for v in vals])], domain=1))
    exp.close()
    status = os.path.join(rootdir, 'var/lib/hostflow/state/status.json')
    stored, deadline = 0, time.time() + 15
    while time.time() < deadline:
        try:
            import json
            stored = json.load(open(status))['store']['records']
        except (OSError, ValueError, KeyError):
            stored = 0
        if stored >= 20:
            break
        time.sleep(0.2)
    check.eq('flows stored by the unit\'s collector', 20, stored)
    probe_unit(check, rootdir, unitdir, status)
    col.send_signal(signal.SIGHUP)
    note('RELOADING=1')
    note('READY=1')
    col.send_signal(signal.SIGTERM)
    note('STOPPING=1')
    try:
        rc = col.wait(30)
    except subprocess.TimeoutExpired:
        col.kill()
        rc = col.wait()
    err = col.stderr.read().decode('utf-8', 'replace')
    print(err.rstrip())
    check.eq('collector exit', 0, rc)
    check.eq('listening lines', 4, err.count('listening on'))
    own = subprocess.run(['chroot', rootdir, 'find', '/var/lib/hostflow', '!', '-user', user],
                         stdout=subprocess.PIPE, text=True).stdout.split()
    check.eq('files under /var/lib/hostflow not owned by %s' % user, [], own)
    files = subprocess.run(['chroot', rootdir, 'find', '/var/lib/hostflow/flows', '-name',
                            'flows-*.ipfix'], stdout=subprocess.PIPE, text=True).stdout.split()
    check.ok(len(files) >= 1, 'no slot file under /var/lib/hostflow/flows')
    print('store: %s' % ' '.join(files))

    rep = open(os.path.join(unitdir, 'hostflow-report.service')).read()
    rargv = shlex.split(unit_value(rep, 'ExecStart'))
    p = hftest.run(['chroot', rootdir, 'setpriv', '--reuid=' + unit_value(rep, 'User'),
                    '--regid=' + unit_value(rep, 'Group'), '--init-groups', '--inh-caps=-all',
                    '--bounding-set=-all'] + rargv, env={'PATH': '/usr/sbin:/usr/bin'})
    print('report unit: %s: exit %d %s' % (' '.join(rargv), p.returncode, p.stderr.strip()))
    check.eq('report unit ExecStart exit', 0, p.returncode)
    check.finish()


def probe_unit(check, rootdir, unitdir, status):
    """hostflow-probe@lo.service's command line as the unit runs it: its
    user, CAP_NET_RAW alone (ambient, as AmbientCapabilities= gives it),
    the options of /etc/default/hostflow-probe; promiscuous capture on lo
    exports to the collector, whose record count grows."""
    import json
    text = open(os.path.join(unitdir, 'hostflow-probe@.service')).read()
    check.eq('probe unit: capabilities', ('CAP_NET_RAW', 'CAP_NET_RAW'),
             (unit_value(text, 'CapabilityBoundingSet'), unit_value(text, 'AmbientCapabilities')))
    opts = ''
    for line in open(os.path.join(rootdir, 'etc/default/hostflow-probe')):
        if line.startswith('HOSTFLOW_PROBE_OPTS='):
            opts = shlex.split(line.split('=', 1)[1])[0]
    argv = shlex.split(unit_value(text, 'ExecStart').replace('%i', 'lo')
                       .replace('$HOSTFLOW_PROBE_OPTS', opts))
    user = unit_value(text, 'User')
    print('probe: User=%s ExecStart=%s' % (user, ' '.join(argv)))
    before = json.load(open(status))['store']['records']
    probe = subprocess.Popen(['chroot', rootdir, 'setpriv', '--reuid=' + user, '--regid=' + user,
                              '--init-groups', '--inh-caps=-all,+net_raw',
                              '--ambient-caps=-all,+net_raw', '--bounding-set=-all,+net_raw',
                              '--no-new-privs'] + argv,
                             env={'PATH': '/usr/sbin:/usr/bin'}, stderr=subprocess.PIPE)
    time.sleep(1.5)
    promisc = subprocess.run(['ip', '-d', 'link', 'show', 'lo'], stdout=subprocess.PIPE,
                             text=True).stdout
    m = re.search(r'promiscuity (\d+)', promisc)
    check.ok(m and int(m.group(1)) >= 1, 'probe: lo not in promiscuous mode: %s' % promisc)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(10):
        u.sendto(b'hostflow packaging test', ('127.0.0.1', 40000 + i))
    u.close()
    time.sleep(0.5)
    probe.send_signal(signal.SIGTERM)
    try:
        rc = probe.wait(20)
    except subprocess.TimeoutExpired:
        probe.kill()
        rc = probe.wait()
    err = probe.stderr.read().decode('utf-8', 'replace').strip()
    check.eq('probe exit (CAP_NET_RAW only)', 0, rc)
    after, deadline = before, time.time() + 15
    while time.time() < deadline and after < before + 10:
        time.sleep(0.2)
        try:
            after = json.load(open(status))['store']['records']
        except (OSError, ValueError, KeyError):
            pass
    print('probe: exit %d, %s; the collector stored %d more flows' % (rc, err or 'no message',
                                                                       after - before))
    check.ok(after >= before + 10, 'the probe\'s flows did not reach the collector: %d -> %d'
             % (before, after))


def purge(check, root):
    print('\n== apt purge', flush=True)
    p = root.run('apt-get purge -y -qq hostflow')
    check.eq('purge exit', 0, p.returncode)
    for f in ['/var/lib/hostflow'] + CONFFILES:
        check.ok(not os.path.exists(root.path(f)), 'after purge: %s still there' % f)


def extracted(check, deb, where):
    """Without a Debian root: the package's files as dpkg would unpack them."""
    print('\n== no debootstrap root: dpkg-deb -x checks only', flush=True)
    d = os.path.join(where, 'x')
    sh(['dpkg-deb', '-x', deb, d])
    for u in UNITS:
        text = open(os.path.join(d, 'lib/systemd/system', u)).read()
        for k in ('ExecStart',):
            v = unit_value(text, k)
            if v:
                check.ok(os.path.exists(os.path.join(d, shlex.split(v)[0].lstrip('/'))),
                         '%s: %s not in the package' % (u, v))
    rows = []
    for u in UNITS:
        if u.endswith('.timer'):
            continue
        p = sh(['systemd-analyze', 'security', '--offline=true', '--no-pager',
                os.path.join(d, 'lib/systemd/system', u.replace('@.', '@eth0.'))])
        m = re.search(r'Overall exposure level for \S+: ([\d.]+) (\w+)', p.stdout)
        rows.append((u, m.group(1) if m else '?', m.group(2) if m else ''))
        if u.startswith('hostflow-collector'):
            check.ok(m and float(m.group(1)) < 3.0, 'collector exposure %s, want < 3.0'
                     % (m.group(1) if m else p.stdout[-500:]))
    hftest.table(['unit', 'exposure', 'verdict'], rows)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == '--in-netns':
        in_netns(sys.argv[2])
        return
    if os.geteuid() != 0:
        print('SKIP: needs root (chroot, mount, unshare)')
        sys.exit(hftest.SKIP)
    hftest.need_tools('dpkg-buildpackage', 'dh', 'lintian', 'fakeroot', 'systemd-analyze',
                      'debootstrap', 'unshare', 'setpriv')
    check = hftest.Check('packaging_deb')
    with hftest.tempdir('hf-deb-') as tmp:
        deb = build(check, os.path.join(tmp, 'out'))
        contents(check, deb)
        lintian(check, deb)
        tarball = base_tarball(check)
        if tarball:
            root = Root(tarball, tmp)
            try:
                if install(check, root, deb):
                    units(check, root)
                    run_units(check, root)
                    purge(check, root)
            finally:
                root.close()
        else:
            extracted(check, deb, tmp)
    check.finish()


if __name__ == '__main__':
    main()
