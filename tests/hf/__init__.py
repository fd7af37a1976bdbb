"""The end-to-end tests' shared helpers, one topic a module.

base        paths of the tools and captures, Check, running children
dump        the probe's IPFIX read back through hostflow-dump
tshark      tshark's decode of captures and of IPFIX files
net         loopback ports, stopping children, capturing on lo
damage      truncated and bit-flipped copies of captures
collector   hostflow-collector on loopback, its status and store
exporters   sending exports to a collector, replaying captures, nfcapd
ipfix       crafting and reading IPFIX / NetFlow v9 messages
names       the hostname tests' DNS / name cache / hello models
craft_pcap  crafting pcap files (IPv4, UDP, TCP, DNS responses)
names_run   one capture through the probe for the hostname tests
conf        hostflow.conf(5) keys and --check-config output
clickhouse  real clickhouse-server shards on loopback, the schema applied
web         hostflow-web on a free loopback port, its pages
report      hostflow-report's CSV, the feed and filter table of its cross-checks

Everything is Python 3 standard library.  tests/hftest.py re-exports all
of it for the tests that `import hftest`.
"""
