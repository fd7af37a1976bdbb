"""hostflow.conf(5) helpers: keys and defaults of the man page, --check-config output."""

import os
import re

from .base import SRC

# hostflow.conf(5): the keys and defaults of every section, as the page
# lists them (a ".TP" then ".B "key = default"" under ".SS "[section]"").

CONF_MAN = os.path.join(SRC, 'man', 'hostflow.conf.5')


def conf_man_keys(path=CONF_MAN):
    """{section: [(key, default)]} in page order; default '' is unset.
    Sections are "probe", "collector"..., "source name", "profile name"."""
    out, section = {}, None
    lines = open(path).read().split('\n')
    for i, line in enumerate(lines):
        m = re.match(r'^\.SS "\[(.*)\]"$', line)
        if m:
            section = m.group(1)
            out[section] = []
        elif line.startswith('.SH'):
            section = None
        elif section and line == '.TP' and i + 1 < len(lines):
            m = re.match(r'^\.B "(.*)"$', lines[i + 1])
            if m:
                text = m.group(1).replace('\\-', '-').replace('\\(aq', "'")
                key, _, default = text.partition('=')
                out[section].append((key.strip(), default.strip()))
    return out


def conf_effective(text, section):
    """--check-config output: {key: value} of one section."""
    vals, group = {}, None
    for line in text.splitlines():
        if line.startswith('['):
            group = line.strip().strip('[]')
        elif '=' in line and not line.startswith('#') and group == section:
            k, v = line.split('=', 1)
            vals[k.strip()] = v.strip()
    return vals
