"""Shared helpers for the end-to-end tests (tests/*.py), re-exported.

The helpers live in the package tests/hf/, one topic a module (see
hf/__init__.py); this module gathers them under the one name the tests
have always imported, so `hftest.Collector`, `hftest.run` ... keep working.
Everything there is Python 3 standard library.  Paths come from the
environment meson sets (HF_PROBE, HF_DUMP, HF_PCAPS, HF_SRC, HF_BUILD...);
outside meson they default to ./build of the source tree.
"""

from hf.base import *           # noqa: F401,F403
from hf.dump import *           # noqa: F401,F403
from hf.tshark import *         # noqa: F401,F403
from hf.net import *            # noqa: F401,F403
from hf.damage import *         # noqa: F401,F403
from hf.collector import *      # noqa: F401,F403
from hf.exporters import *      # noqa: F401,F403
from hf.ipfix import *          # noqa: F401,F403
from hf.names import *          # noqa: F401,F403
from hf.craft_pcap import *     # noqa: F401,F403
from hf.names_run import *      # noqa: F401,F403
from hf.conf import *           # noqa: F401,F403
from hf.clickhouse import *     # noqa: F401,F403
from hf.web import *            # noqa: F401,F403
from hf.report import *         # noqa: F401,F403
