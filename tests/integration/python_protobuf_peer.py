"""A Python libprocess peer exchanges protobuf messages with a cproc node.

The node is the pingpong example's `pong` (PONG_BIN). This peer speaks the
libprocess framing with the standard library and encodes and decodes the
messages with python3-protobuf (Debian's package), from a descriptor built
here for the messages of examples/pingpong/pingpong.actor:

  - it sends pingpong.Ping messages (seq, payload with every byte value) to
    pong@..., and pong answers each with a pingpong.Pong on a connection it
    opens to this peer's address; the Pongs are decoded and checked;
  - it sends a pingpong.StatsRequest and decodes the pingpong.Stats reply
    (the GetStats rpc, Protocol style), which must count every Ping.

Every wait is bounded; the exit status says whether all of it held.
"""
import json
import os
import select
import socket
import subprocess
import sys
import urllib.request

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

BOUND = 30.0
COUNT = 200


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def pingpong_classes():
    f = descriptor_pb2.FileDescriptorProto(name="pingpong.proto", package="pingpong",
                                           syntax="proto3")
    T = descriptor_pb2.FieldDescriptorProto
    for name, fields in [("Ping", [("seq", 1, T.TYPE_UINT64), ("payload", 2, T.TYPE_BYTES)]),
                         ("Pong", [("seq", 1, T.TYPE_UINT64), ("payload", 2, T.TYPE_BYTES)]),
                         ("StatsRequest", []),
                         ("Stats", [("pings", 1, T.TYPE_UINT64)])]:
        m = f.message_type.add(name=name)
        for fname, number, ftype in fields:
            m.field.add(name=fname, number=number, type=ftype, label=T.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(f)
    get = getattr(message_factory, "GetMessageClass", None)
    classes = {}
    for name in ("Ping", "Pong", "StatsRequest", "Stats"):
        desc = pool.FindMessageTypeByName("pingpong." + name)
        classes[name] = get(desc) if get else message_factory.MessageFactory(pool).GetPrototype(desc)
    return classes


def frame(frm, to_id, host, name, body):
    """A libprocess message, exactly as libprocess frames it."""
    head = ("POST /%s/%s HTTP/1.1\r\nUser-Agent: libprocess/%s\r\n"
            "Libprocess-From: %s\r\nConnection: Keep-Alive\r\nHost: %s\r\n"
            % (to_id, name, frm, frm, host)).encode()
    if not body:
        return head + b"\r\n"
    return (head + b"Transfer-Encoding: chunked\r\n\r\n" +
            (b"%x\r\n" % len(body)) + body + b"\r\n0\r\n\r\n")


class Reader:
    """Reads HTTP/1.1 requests or responses from a socket, with bounds."""

    def __init__(self, sock):
        self.sock = sock
        self.data = b""

    def _more(self):
        r, _, _ = select.select([self.sock], [], [], BOUND)
        if not r:
            fail("timed out waiting for bytes")
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            fail("connection closed early")
        self.data += chunk

    def _line(self):
        while b"\r\n" not in self.data:
            self._more()
        line, self.data = self.data.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.data) < n:
            self._more()
        out, self.data = self.data[:n], self.data[n:]
        return out

    def next(self):
        start = self._line().decode()
        headers = {}
        while True:
            line = self._line()
            if not line:
                break
            k, v = line.decode().split(":", 1)
            headers[k.strip().lower()] = v.strip()
        body = b""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    self._line()
                    break
                body += self._exact(size)
                self._exact(2)
        elif "content-length" in headers:
            body = self._exact(int(headers["content-length"]))
        return start, headers, body


def main():
    classes = pingpong_classes()
    Ping, Pong, StatsRequest, Stats = (classes[n] for n in ("Ping", "Pong", "StatsRequest",
                                                             "Stats"))
    pong = subprocess.Popen([os.environ["PONG_BIN"], "--ip", "127.0.0.1", "--port", "0"],
                            stdout=subprocess.PIPE)
    try:
        r, _, _ = select.select([pong.stdout], [], [], BOUND)
        if not r:
            fail("pong did not start")
        upid = pong.stdout.readline().decode().strip()
        pong_id, addr = upid.split("@")
        pong_port = int(addr.split(":")[1])

        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        me = "py@127.0.0.1:%d" % listener.getsockname()[1]

        out = socket.create_connection(("127.0.0.1", pong_port))
        host = "127.0.0.1:%d" % pong_port
        payloads = [bytes((i + k) % 256 for k in range(i % 300)) for i in range(COUNT)]
        wire = b"".join(frame(me, pong_id, host, "pingpong.Ping",
                              Ping(seq=i, payload=payloads[i]).SerializeToString())
                        for i in range(COUNT))
        out.sendall(wire)
        answers = Reader(out)
        for _ in range(COUNT):
            status, _, _ = answers.next()
            if not status.startswith("HTTP/1.1 202"):
                fail("pong answered %r" % status)

        # pong sends its Pongs on a connection of its own to our address.
        r, _, _ = select.select([listener], [], [], BOUND)
        if not r:
            fail("pong never connected back")
        conn, _ = listener.accept()
        inbound = Reader(conn)
        for i in range(COUNT):
            start, headers, body = inbound.next()
            if start != "POST /py/pingpong.Pong HTTP/1.1":
                fail("unexpected request line %r" % start)
            if headers.get("libprocess-from") != upid:
                fail("Libprocess-From %r, want %r" % (headers.get("libprocess-from"), upid))
            conn.sendall(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
            msg = Pong()
            msg.ParseFromString(body)
            if msg.seq != i or msg.payload != payloads[i]:
                fail("pong %d came back as seq %d with %d bytes" % (i, msg.seq, len(msg.payload)))

        # The GetStats rpc: a StatsRequest in, a Stats back to the sender.
        out.sendall(frame(me, pong_id, host, "pingpong.StatsRequest",
                          StatsRequest().SerializeToString()))
        status, _, _ = answers.next()
        if not status.startswith("HTTP/1.1 202"):
            fail("pong answered %r to the StatsRequest" % status)
        start, headers, body = inbound.next()
        conn.sendall(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
        if start != "POST /py/pingpong.Stats HTTP/1.1":
            fail("unexpected reply %r" % start)
        stats = Stats()
        stats.ParseFromString(body)
        if stats.pings != COUNT:
            fail("pong counted %d pings, want %d" % (stats.pings, COUNT))
        # The node's metrics count the events pong ran, keys in order.
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics/snapshot" % pong_port,
                                    timeout=BOUND) as r:
            raw = r.read().decode()
        metrics = json.loads(raw)
        keys = [k for k in json.loads(raw, object_pairs_hook=lambda kv: [k for k, _ in kv])]
        if keys != sorted(keys):
            fail("metrics keys are not sorted: %r" % keys)
        if metrics.get("processes/pong/count") != 1:
            fail("no processes/pong/count in %r" % metrics)
        if metrics.get("processes/pong/events", 0) < COUNT + 1:
            fail("processes/pong/events is %r" % metrics.get("processes/pong/events"))
        if metrics.get("transport/messages_received", 0) < COUNT + 1:
            fail("transport/messages_received is %r" % metrics.get("transport/messages_received"))
        print("%d passed, 0 failed" % (COUNT + 2))
    finally:
        pong.kill()
        pong.wait()


if __name__ == "__main__":
    main()
