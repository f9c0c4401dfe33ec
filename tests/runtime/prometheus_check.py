"""Fetches /metrics/prometheus from a cproc node and parses it with the
prometheus_client text parser (Debian's python3-prometheus-client).

usage: prometheus_check.py <port>
       prometheus_check.py <port> peer <ip:port> <n>
Exits 0 when the text parses and holds the families the test registered,
or (peer) the per-peer families with a sample labelled peer="<ip:port>"
whose messages sent and received are both n."""
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def fail(msg):
    print("prometheus_check: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    port = int(sys.argv[1])
    url = "http://127.0.0.1:%d/metrics/prometheus" % port
    with urllib.request.urlopen(url, timeout=30) as r:
        ctype = r.headers.get("Content-Type", "")
        text = r.read().decode()
    if not ctype.startswith("text/plain; version=0.0.4"):
        fail("content type %r" % ctype)
    fams = {}
    for fam in text_string_to_metric_families(text):
        if fam.name in fams:
            fail("family %s twice" % fam.name)
        fams[fam.name] = fam
    for line in text.splitlines():
        if line.startswith("# TYPE ") or line.startswith("# HELP "):
            continue
        name = line.split("{")[0].split(" ")[0]
        if not all(c.isalnum() or c in "_:" for c in name) or name[0].isdigit():
            fail("illegal name %r" % name)
    if len(sys.argv) > 2 and sys.argv[2] == "peer":
        check_peer(fams, sys.argv[3], float(sys.argv[4]))
        return
    want = {
        "toolkit_requests": ("counter", 3.0),
        "toolkit_queue_depth": ("gauge", 7.5),
        "toolkit_pulled": ("gauge", 42.0),
        "_9lives": ("gauge", 9.0),
    }
    for name, (typ, value) in want.items():
        fam = fams.get(name)
        if fam is None:
            fail("no family %s in:\n%s" % (name, text))
        if fam.type != typ:
            fail("%s is %s, want %s" % (name, fam.type, typ))
        if fam.samples[0].value != value:
            fail("%s = %r, want %r" % (name, fam.samples[0].value, value))
    # Counters follow the convention: the family is "x", its sample
    # "x_total" (the text says "# TYPE x_total counter").
    for name in ("toolkit_requests", "toolkit_sent", "runtime_mailbox_rejected"):
        fam = fams.get(name)
        if fam is None or fam.type != "counter":
            fail("no counter family %s" % name)
        if [s.name for s in fam.samples] != [name + "_total"]:
            fail("%s samples are %r" % (name, [s.name for s in fam.samples]))
    lat = fams.get("toolkit_latency_ms")
    if lat is None or lat.type != "summary":
        fail("no summary toolkit_latency_ms")
    by = {(s.name, s.labels.get("quantile")): s.value for s in lat.samples}
    if by.get(("toolkit_latency_ms", "0.5")) != 50.5:
        fail("p50 is %r" % by.get(("toolkit_latency_ms", "0.5")))
    if by.get(("toolkit_latency_ms_count", None)) != 100:
        fail("count is %r" % by.get(("toolkit_latency_ms_count", None)))
    if by.get(("toolkit_latency_ms_sum", None)) != 5050:
        fail("sum is %r" % by.get(("toolkit_latency_ms_sum", None)))
    if "system_cpus_total" not in fams or "transport_bytes_received" not in fams:
        fail("runtime or system figures missing")
    if not fams["toolkit_requests"].documentation == "Requests served":
        fail("help is %r" % fams["toolkit_requests"].documentation)
    if fams["toolkit_escaped"].documentation != "back\\slash":
        fail("escaped help is %r" % fams["toolkit_escaped"].documentation)


def check_peer(fams, peer, n):
    for fig in ("messages_sent", "messages_received", "bytes_sent", "bytes_received"):
        name = "transport_peer_" + fig
        fam = fams.get(name)
        if fam is None or fam.type != "counter":
            fail("no counter family %s" % name)
        mine = [s for s in fam.samples if s.labels == {"peer": peer}]
        if len(mine) != 1 or mine[0].name != name + "_total":
            fail("%s samples are %r" % (name, fam.samples))
        if fig.startswith("messages") and mine[0].value != n:
            fail("%s{peer=%s} = %r, want %r" % (name, peer, mine[0].value, n))
        if fig.startswith("bytes") and mine[0].value <= n:
            fail("%s{peer=%s} = %r" % (name, peer, mine[0].value))


main()
