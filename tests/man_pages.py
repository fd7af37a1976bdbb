#!/usr/bin/env python3
"""Every manual page renders without a groff warning.

Each page under man/ and each page the build generates (HF_BUILD/man) is
formatted as man(1) would: `groff -ww -man -Tutf8 -z` with the preprocessors
its first line asks for ('\\" t: tbl), at the line length of an 80-column
terminal.  Any line on stderr is a failure.
A page that uses a table without asking for tbl also fails: man would show
its .TS lines as text.  Every page under man/ must also be installed
(named in man/meson.build).
"""
import os
import re
import sys

import hftest

# preprocessor letters of the '\" line (man(1)'s convention) -> groff options
PREPROCESSORS = {'t': '-t', 'e': '-e', 'p': '-p', 'g': '-g', 'r': '-R', 'v': '-v'}
WIDTHS = ('78n',)


def pages():
    """(path, name) of the source pages and the generated ones."""
    found = []
    for d in (os.path.join(hftest.SRC, 'man'), os.path.join(hftest.BUILD, 'man')):
        if os.path.isdir(d):
            found += [(os.path.join(d, n), n) for n in sorted(os.listdir(d))
                      if re.fullmatch(r'[\w.-]+\.[1-8]', n)]
    return found


def groff_options(text):
    first = text.split('\n', 1)[0]
    m = re.match(r"^'\\\" ([a-z]+)", first)
    return [PREPROCESSORS[c] for c in (m.group(1) if m else '') if c in PREPROCESSORS]


def main():
    hftest.need_tools('groff')
    check = hftest.Check('man-pages')
    found = pages()
    names = [n for _, n in found]
    check.ok('hostflow-ipfix.7' in names,
             'the generated hostflow-ipfix.7 is in %s/man (build it first)' % hftest.BUILD)
    installed = open(os.path.join(hftest.SRC, 'man', 'meson.build')).read()
    for path, name in found:
        text = open(path, encoding='utf-8').read()
        opts = groff_options(text)
        if path.startswith(os.path.join(hftest.SRC, 'man')):
            check.ok("'%s'" % name in installed, '%s: not installed by man/meson.build' % name)
        check.ok('-t' in opts or not re.search(r'^\.TS', text, re.M),
                 "%s: has a table (.TS) but no '\\\" t line asking for tbl" % name)
        for width in WIDTHS:
            p = hftest.run(['groff', '-ww', '-man', '-Tutf8', '-z', '-rLL=' + width]
                           + opts + [path], timeout=60)
            warnings = p.stderr.strip()
            print('%-24s LL=%-4s %s' % (name, width, 'ok' if not warnings and p.returncode == 0
                                        else 'exit %d' % p.returncode))
            check.ok(p.returncode == 0 and not warnings,
                     '%s at LL=%s: groff exit %d: %s' % (name, width, p.returncode,
                                                       ' | '.join(warnings.splitlines()[:8])))
    check.ok(len(found) >= 8, 'pages found: %s' % ', '.join(names))
    check.finish()


if __name__ == '__main__':
    sys.exit(main())
