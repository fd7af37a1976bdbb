#!/usr/bin/env python3
"""The systemd units follow the install prefix.

1. `meson setup --prefix /opt/hf` of the source tree, then `meson install
   --tags systemd --destdir D`: the services in D/opt/hf/lib/systemd/system
   run /opt/hf/sbin/hostflow-collector, /opt/hf/sbin/hostflow-probe and
   /opt/hf/bin/hostflow-report with /opt/hf/etc/hostflow/hostflow.conf
   (and the probe's /opt/hf/etc/default/hostflow-probe); no /usr path
   is left in them.  `systemd-analyze verify` passes on them in a mount
   namespace where /opt/hf is D/opt/hf, with the programs of this build at
   their places.
2. `meson setup --prefix /usr --sysconfdir /etc` (what debian/rules
   passes): the services run /usr/sbin, /usr/bin and /etc paths.
3. `meson install --destdir` of this build (its own prefix): every program
   a unit's ExecStart names is installed where the unit says.

Needs root (unshare, mount) for the verify of 1; without it, that part is
skipped and said so."""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hftest  # noqa: E402

SERVICES = ['hostflow-collector.service', 'hostflow-probe@.service', 'hostflow-report.service']
UNITS = SERVICES + ['hostflow-report.timer']
PROGRAMS = {'hostflow-collector.service': ('sbin', 'hostflow-collector'),
            'hostflow-probe@.service': ('sbin', 'hostflow-probe'),
            'hostflow-report.service': ('bin', 'hostflow-report')}


def unit_values(text, key):
    return [v.strip() for v in re.findall(r'^%s=(.*)$' % re.escape(key), text, re.M)]


def setup(check, tmp, name, *opts):
    build = os.path.join(tmp, name)
    p = hftest.run(['meson', 'setup', build, hftest.SRC] + list(opts), timeout=300)
    check.ok(p.returncode == 0, 'meson setup %s: exit %d: %s' % (
        ' '.join(opts), p.returncode, ' | '.join(p.stdout.strip().splitlines()[-5:])))
    return build


def check_paths(check, unitdir, prefix, etc, what):
    """The services in unitdir run prefix/{s,}bin programs with etc files."""
    for unit, (subdir, prog) in PROGRAMS.items():
        path = os.path.join(unitdir, unit)
        if not check.ok(os.path.exists(path), '%s: %s installed' % (what, path)):
            continue
        text = open(path).read()
        argv = shlex.split(unit_values(text, 'ExecStart')[-1])
        print('%s: %s: ExecStart=%s' % (what, unit, ' '.join(argv)))
        check.eq('%s: %s ExecStart program' % (what, unit),
                 os.path.join(prefix, subdir, prog), argv[0])
        if '-c' in argv:
            check.eq('%s: %s config' % (what, unit),
                     os.path.join(etc, 'hostflow', 'hostflow.conf'), argv[argv.index('-c') + 1])
        for env in unit_values(text, 'EnvironmentFile'):
            check.eq('%s: %s EnvironmentFile' % (what, unit),
                     '-' + os.path.join(etc, 'default', 'hostflow-probe'), env)
        check.eq('%s: %s: @variables@ left' % (what, unit), [], re.findall(r'@\w+@', text))
        if prefix != '/usr':
            check.eq('%s: %s: /usr or /etc paths left' % (what, unit), [],
                     re.findall(r'(?:^|[\s=-])((?:/usr/s?bin|/etc/hostflow|/etc/default)/\S*)',
                                text, re.M))


def verify_opt(check, dest, programs):
    """systemd-analyze verify on the /opt/hf units, with /opt/hf mounted
    from dest and this build's programs at their places."""
    if os.geteuid() != 0 or not shutil.which('unshare') or not shutil.which('systemd-analyze'):
        print('SKIPPED: systemd-analyze verify of the /opt/hf units (needs root, unshare, '
              'systemd-analyze)')
        return
    for unit, (subdir, prog) in PROGRAMS.items():
        d = os.path.join(dest, 'opt/hf', subdir)
        os.makedirs(d, exist_ok=True)
        shutil.copy(programs[prog], os.path.join(d, prog))
    script = ('mount -t tmpfs hf-opt /opt && mkdir /opt/hf && mount --bind %s /opt/hf && '
              'cd /opt/hf/lib/systemd/system && systemd-analyze verify --man=no %s'
              % (shlex.quote(os.path.join(dest, 'opt/hf')), ' '.join(UNITS)))
    p = hftest.run(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script])
    print('systemd-analyze verify (/opt/hf): exit %d %s' % (p.returncode, p.stderr.strip()))
    check.ok(p.returncode == 0 and not p.stderr.strip(),
             'systemd-analyze verify of the /opt/hf units: exit %d: %s'
             % (p.returncode, p.stderr.strip()))


def main():
    hftest.need_tools('meson')
    check = hftest.Check('install-prefix')
    with hftest.tempdir() as tmp:
        # 3. this build, installed whole: the programs the units name
        dest = os.path.join(tmp, 'dest-build')
        p = hftest.run(['meson', 'install', '-C', hftest.BUILD, '--no-rebuild', '--quiet',
                        '--destdir', dest], timeout=300)
        check.ok(p.returncode == 0, 'meson install of %s: exit %d: %s' % (
            hftest.BUILD, p.returncode, p.stderr.strip()[-300:]))
        opts = {o['name']: o['value'] for o in json_options(hftest.BUILD)}
        prefix = opts['prefix']
        unitdir = opts['systemdunitdir'] or os.path.join(prefix, 'lib/systemd/system')
        programs = {}
        for unit, (subdir, prog) in PROGRAMS.items():
            installed = os.path.join(prefix, opts[subdir + 'dir'], prog)
            programs[prog] = dest + installed
            check.ok(os.access(dest + installed, os.X_OK), 'this build: %s installed' % installed)
        check_paths(check, dest + unitdir, prefix,
                    os.path.join(prefix, opts['sysconfdir']), 'this build (prefix %s)' % prefix)

        # 1. --prefix /opt/hf
        build = setup(check, tmp, 'build-opt', '--prefix', '/opt/hf')
        dest_opt = os.path.join(tmp, 'dest-opt')
        p = hftest.run(['meson', 'install', '-C', build, '--no-rebuild', '--tags', 'systemd',
                        '--destdir', dest_opt], timeout=300)
        check.ok(p.returncode == 0, 'meson install --tags systemd (/opt/hf): exit %d: %s'
                 % (p.returncode, p.stderr.strip()[-300:]))
        installed = sorted(os.listdir(os.path.join(dest_opt, 'opt/hf/lib/systemd/system')))
        check.eq('/opt/hf: units installed', sorted(UNITS), installed)
        check_paths(check, os.path.join(dest_opt, 'opt/hf/lib/systemd/system'), '/opt/hf',
                    '/opt/hf/etc', '--prefix /opt/hf')
        verify_opt(check, dest_opt, programs)

        # 2. the Debian package's paths
        build = setup(check, tmp, 'build-usr', '--prefix', '/usr', '--sysconfdir', '/etc')
        check_paths(check, os.path.join(build, 'packaging'), '/usr', '/etc', '--prefix /usr')
    check.finish()


def json_options(build):
    p = hftest.run(['meson', 'introspect', '--buildoptions', build])
    return json.loads(p.stdout)


if __name__ == '__main__':
    sys.exit(main())
