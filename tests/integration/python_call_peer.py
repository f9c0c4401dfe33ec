"""Calls between cproc and peers written from docs/wire.md, both ways.

A. A peer speaking cproc's call protocol (Cproc-Call / Cproc-Method in,
   Cproc-Reply / Cproc-Status back) against the pingpong example's `pong`
   (PONG_BIN): a call answered ok, a call of a method pong lacks (failed,
   with the reason), and a call to a process that does not exist (404 on
   the connection, and a failed reply saying so).
B. A libprocess server (this script, which ignores the Cproc headers and
   answers by type name, as libprocess's Protocol<Req, Res> does) called
   by cproc's `ping` (PING_BIN): the typed GetStats call completes with the
   plain reply; the Pings and Pongs flow as plain libprocess messages.
C. A libprocess server that closes its connection after taking a call,
   or never answers: kvctl's typed call fails, naming the node, within its
   deadline.

Every wait is bounded; the exit status says whether all of it held.
"""
import json
import os
import select
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from python_protobuf_peer import BOUND, Reader, fail, pingpong_classes  # noqa: E402


def frame(frm, to_id, host, name, body, extra=""):
    head = ("POST /%s/%s HTTP/1.1\r\nUser-Agent: libprocess/%s\r\n"
            "Libprocess-From: %s\r\nConnection: Keep-Alive\r\nHost: %s\r\n%s"
            % (to_id, name, frm, frm, host, extra)).encode()
    if not body:
        return head + b"\r\n"
    return (head + b"Transfer-Encoding: chunked\r\n\r\n" +
            (b"%x\r\n" % len(body)) + body + b"\r\n0\r\n\r\n")


def expect_reply(inbound, conn, call_id, status):
    start, headers, body = inbound.next()
    conn.sendall(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
    if headers.get("cproc-reply") != str(call_id):
        fail("reply to call %d has Cproc-Reply %r (%s)" % (call_id, headers.get("cproc-reply"),
                                                           start))
    if headers.get("cproc-status") != status:
        fail("call %d: status %r, want %r (body %r)" % (call_id, headers.get("cproc-status"),
                                                        status, body))
    return start, body


def part_a(classes):
    StatsRequest, Stats = classes["StatsRequest"], classes["Stats"]
    pong = subprocess.Popen([os.environ["PONG_BIN"], "--ip", "127.0.0.1", "--port", "0"],
                            stdout=subprocess.PIPE)
    try:
        r, _, _ = select.select([pong.stdout], [], [], BOUND)
        if not r:
            fail("pong did not start")
        upid = pong.stdout.readline().decode().strip()
        pong_id, addr = upid.split("@")
        port = int(addr.split(":")[1])
        host = "127.0.0.1:%d" % port
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        me = "py@127.0.0.1:%d" % listener.getsockname()[1]
        out = socket.create_connection(("127.0.0.1", port))
        answers = Reader(out)
        body = StatsRequest().SerializeToString()

        out.sendall(frame(me, pong_id, host, "pingpong.StatsRequest", body,
                          "Cproc-Call: 7\r\nCproc-Method: GetStats\r\n"))
        if not answers.next()[0].startswith("HTTP/1.1 202"):
            fail("pong refused a call")
        r, _, _ = select.select([listener], [], [], BOUND)
        if not r:
            fail("pong never connected back")
        conn, _ = listener.accept()
        inbound = Reader(conn)
        start, reply = expect_reply(inbound, conn, 7, "ok")
        if start != "POST /py/pingpong.Stats HTTP/1.1":
            fail("ok reply came as %r" % start)
        Stats().ParseFromString(reply)

        out.sendall(frame(me, pong_id, host, "pingpong.StatsRequest", body,
                          "Cproc-Call: 8\r\nCproc-Method: Nope\r\n"))
        answers.next()
        _, why = expect_reply(inbound, conn, 8, "failed")
        if b"no handler for rpc Nope in pong" not in why:
            fail("failure text %r" % why)

        out.sendall(frame(me, "nobody", host, "pingpong.StatsRequest", body,
                          "Cproc-Call: 9\r\nCproc-Method: GetStats\r\n"))
        status = answers.next()[0]
        if not status.startswith("HTTP/1.1 404"):
            fail("a call to nobody was answered %r" % status)
        _, why = expect_reply(inbound, conn, 9, "failed")
        if ("no process nobody at node %s" % host).encode() not in why:
            fail("failure text %r" % why)
    finally:
        pong.kill()
        pong.wait()


def part_b(classes):
    Ping, Pong, Stats = classes["Ping"], classes["Pong"], classes["Stats"]
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    port = listener.getsockname()[1]
    me = "pong@127.0.0.1:%d" % port
    count = 3
    ping = subprocess.Popen([os.environ["PING_BIN"], "--to", me, "--count", str(count),
                             "--window", "1"], stdout=subprocess.PIPE)
    try:
        r, _, _ = select.select([listener], [], [], BOUND)
        if not r:
            fail("ping never connected")
        conn, _ = listener.accept()
        inbound = Reader(conn)
        back = None
        pings = 0
        while True:
            start, headers, body = inbound.next()
            sender = headers.get("libprocess-from")
            sender_id, sender_addr = sender.split("@")
            if back is None:
                h, p = sender_addr.split(":")
                back = socket.create_connection((h, int(p)))
            if start == "POST /pong/pingpong.Ping HTTP/1.1":
                pings += 1
                msg = Ping()
                msg.ParseFromString(body)
                back.sendall(frame(me, sender_id, sender_addr, "pingpong.Pong",
                                   Pong(seq=msg.seq, payload=msg.payload).SerializeToString()))
            elif start == "POST /pong/pingpong.StatsRequest HTTP/1.1":
                # cproc's headers ride along; a libprocess server ignores them.
                if headers.get("cproc-method") != "GetStats" or "cproc-call" not in headers:
                    fail("call headers missing: %r" % headers)
                back.sendall(frame(me, sender_id, sender_addr, "pingpong.Stats",
                                   Stats(pings=pings).SerializeToString()))
                break
            else:
                fail("unexpected request %r" % start)
        r, _, _ = select.select([ping.stdout], [], [], BOUND)
        if not r:
            fail("ping printed nothing")
        result = json.loads(ping.stdout.readline().decode())
        if result.get("pong_pings_total") != count:
            fail("ping's GetStats call got %r" % result)
        if ping.wait(timeout=BOUND) != 0:
            fail("ping exited with %d" % ping.returncode)
    finally:
        if ping.poll() is None:
            ping.kill()
            ping.wait()


def part_c():
    """A libprocess server that takes the request and then goes away (its
    connection closes): the typed call fails, as with libprocess's link,
    naming the node; one that never answers: the call fails at its
    deadline. kvctl (KVCTL_BIN) makes the calls."""
    for mode in ("close", "silent"):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        port = listener.getsockname()[1]
        ctl = subprocess.Popen([os.environ["KVCTL_BIN"], "--node", "store@127.0.0.1:%d" % port,
                                "--timeout-ms", "300", "get", "k"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            r, _, _ = select.select([listener], [], [], BOUND)
            if not r:
                fail("kvctl never connected")
            conn, _ = listener.accept()
            start, headers, _ = Reader(conn).next()
            if start != "POST /store/kv.GetRequest HTTP/1.1" or headers.get("cproc-method") != "Get":
                fail("unexpected request %r %r" % (start, headers))
            if mode == "close":
                conn.close()
                listener.close()
            _, err = ctl.communicate(timeout=BOUND)
            err = err.decode()
            want = "unreachable" if mode == "close" else "deadline of 300 ms exceeded"
            if ctl.returncode != 1 or want not in err or "127.0.0.1:%d" % port not in err:
                fail("%s: kvctl exited %d: %r" % (mode, ctl.returncode, err))
        finally:
            if ctl.poll() is None:
                ctl.kill()
                ctl.wait()
            listener.close()


def main():
    classes = pingpong_classes()
    part_a(classes)
    part_b(classes)
    part_c()
    print("3 passed, 0 failed")


if __name__ == "__main__":
    main()
