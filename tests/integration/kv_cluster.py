"""The kv example as a user runs it: three kvnode processes on 127.0.0.1.

Puts and gets go through kvctl against different nodes (replication makes
every key readable everywhere); one node is killed with SIGKILL; the other
two notice (their /store/stats shows it down) and keep serving; kvctl
against the dead node fails with a clear message within its deadline.

KVNODE_BIN and KVCTL_BIN name the programs. Every wait is bounded.
"""
import json
import os
import select
import signal
import subprocess
import sys
import urllib.request

BOUND = 30.0
ATTEMPTS = 3000


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def start_node(peers):
    args = [os.environ["KVNODE_BIN"], "--ip", "127.0.0.1", "--port", "0"]
    for p in peers:
        args += ["--peer", p]
    node = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    r, _, _ = select.select([node.stdout], [], [], BOUND)
    if not r:
        fail("kvnode did not start")
    return node, node.stdout.readline().decode().strip()


def kvctl(node, *args, timeout_ms=5000):
    p = subprocess.run([os.environ["KVCTL_BIN"], "--node", node, "--timeout-ms",
                        str(timeout_ms)] + list(args),
                       capture_output=True, timeout=BOUND)
    return p.returncode, p.stdout.decode().strip(), p.stderr.decode().strip()


def put(node, key, value):
    rc, out, err = kvctl(node, "put", key, value)
    if rc != 0:
        fail("put %s on %s: %s" % (key, node, err))


def await_value(node, key, value):
    """Replication is asynchronous: poll (bounded) until the node has it."""
    for _ in range(ATTEMPTS):
        rc, out, err = kvctl(node, "get", key)
        if rc == 0 and out == value:
            return
        if rc not in (0, 3):
            fail("get %s on %s: %s" % (key, node, err))
    fail("%s never saw %s=%s" % (node, key, value))


def stats(node):
    port = node.split(":")[-1]
    with urllib.request.urlopen("http://127.0.0.1:%s/store/stats" % port, timeout=BOUND) as r:
        return json.loads(r.read().decode())


def await_peer(node, peer, up):
    for _ in range(ATTEMPTS * 10):
        if any(p["pid"] == peer and p["up"] == up for p in stats(node)["peers"]):
            return
    fail("%s never saw %s %s" % (node, peer, "up" if up else "down"))


def main():
    procs = []
    try:
        a, pa = start_node([])
        procs.append(a)
        b, pb = start_node([pa])
        procs.append(b)
        c, pc = start_node([pa, pb])
        procs.append(c)
        for n, others in ((pa, (pb, pc)), (pb, (pa, pc)), (pc, (pa, pb))):
            for o in others:
                await_peer(n, o, True)

        put(pa, "alpha", "1")
        put(pc, "gamma", "3")
        for n in (pa, pb, pc):
            await_value(n, "alpha", "1")
            await_value(n, "gamma", "3")
        put(pb, "alpha", "2")  # a later write wins everywhere
        for n in (pa, pb, pc):
            await_value(n, "alpha", "2")

        b.send_signal(signal.SIGKILL)
        b.wait()
        await_peer(pa, pb, False)
        await_peer(pc, pb, False)

        put(pa, "delta", "4")
        await_value(pc, "delta", "4")
        await_value(pa, "gamma", "3")

        rc, out, err = kvctl(pb, "get", "alpha", timeout_ms=2000)
        if rc != 1:
            fail("kvctl against the dead node exited %d (%r)" % (rc, out))
        if "unreachable" not in err or pb.split("@")[1] not in err:
            fail("kvctl's message is not clear: %r" % err)
        print("kv cluster: ok (%s)" % err)
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=BOUND)
                except subprocess.TimeoutExpired:
                    p.kill()
                    fail("a kvnode did not stop on SIGTERM")


if __name__ == "__main__":
    main()
