"""One capture through the probe with everything the hostname tests compare."""

import collections
import os

from .base import Check, pcap, probe_to_file
from .dump import dump_records
from .names import (app_hellos, dns_messages, flow_instances, instances_by_tuple,
                    named_records, transport_frames)


class CaptureDecode:
    """What tshark decodes of a capture for the hostname tests: its TCP/UDP
    frames and, as asked, DNS messages (also by 5-tuple) and client hellos."""

    def __init__(self, name, hellos=False, dns=True):
        self.name = name
        self.path = pcap(name)
        self.frames = transport_frames(self.path)
        self.messages = dns_messages(self.path) if dns else []
        self.messages_of = collections.defaultdict(list)
        for m in self.messages:
            self.messages_of[(m.src, m.dst, m.proto, m.sport, m.dport)].append(m)
        self.hellos = app_hellos(self.path) if hellos else []


class NamesRun:
    """One capture through the probe (-v and probe_args), with everything
    the hostname tests compare: records (named_records), the TCP/UDP flows
    mapped to frames (instances, index by 5-tuple), and the capture's
    CaptureDecode (decode: one already made, else made here) as
    frames/messages/messages_of/hellos.  elements False: records from
    hostflow-dump alone (no ie_* keys)."""

    def __init__(self, name, tmp, *probe_args, decode=None, hellos=False, dns=True,
                 elements=True, tag=''):
        self.name = name
        self.path = pcap(name)
        self.ipfix = os.path.join(tmp, name + tag + '.ipfix')
        self.probe = probe_to_file(self.path, self.ipfix, '-v', *probe_args)
        self.check = Check(name)          # collects; merge_into passes failures on
        self.records = (named_records if elements else dump_records)(
            self.ipfix, self.check, name + tag)
        d = decode or CaptureDecode(name, hellos, dns)
        self.frames, self.messages, self.messages_of, self.hellos = \
            d.frames, d.messages, d.messages_of, d.hellos
        self.instances, self.problems = flow_instances(self.records, self.frames)
        self.index = instances_by_tuple(self.instances)

    def merge_into(self, check):
        """The probe ran cleanly, every record maps to its frames; earlier
        notes (decode mismatches) go to check."""
        check.probe_ran(self.probe, self.name)
        check.failures += self.check.failures     # printed when noted
        for p in self.problems:
            check.ok(False, '%s: %s' % (self.name, p))
