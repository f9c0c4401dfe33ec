"""A libprocess peer written in Python (standard library only) talks to a
cproc node both ways: it sends "ping" framed as libprocess does, answers
the node's "pong" (sent on a connection the node opens to us) with 202, and
checks the framing of what the node sent. Every wait is bounded."""
import os
import select
import socket
import subprocess
import sys

BOUND = 60.0


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def read_until(sock, pred):
    data = b""
    while not pred(data):
        r, _, _ = select.select([sock], [], [], BOUND)
        if not r:
            fail("timed out; have %r" % data)
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def message(frm, to_id, host, name, body):
    head = ("POST /%s/%s HTTP/1.1\r\nUser-Agent: libprocess/%s\r\n"
            "Libprocess-From: %s\r\nConnection: Keep-Alive\r\nHost: %s\r\n"
            % (to_id, name, frm, frm, host)).encode()
    if not body:
        return head + b"\r\n"
    return (head + b"Transfer-Encoding: chunked\r\n\r\n" +
            (b"%x\r\n" % len(body)) + body + b"\r\n0\r\n\r\n")


def main():
    env = dict(os.environ, LIBPROCESS_IP="127.0.0.1", LIBPROCESS_PORT="0")
    node = subprocess.Popen([os.environ["CPROC_NODE"], "serve"], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        r, _, _ = select.select([node.stdout], [], [], BOUND)
        if not r:
            fail("node did not start")
        line = node.stdout.readline().decode().split()
        port = int(line[1])

        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        my_port = listener.getsockname()[1]
        me = "py@127.0.0.1:%d" % my_port

        out = socket.create_connection(("127.0.0.1", port))
        # Large enough to arrive in many reads on both sides.
        body = bytes(range(256)) * 8192
        out.sendall(message(me, "echo", "127.0.0.1:%d" % port, "ping", body))
        resp = read_until(out, lambda d: b"\r\n\r\n" in d)
        if not resp.startswith(b"HTTP/1.1 202 Accepted\r\n"):
            fail("expected 202, got %r" % resp)

        r, _, _ = select.select([listener], [], [], BOUND)
        if not r:
            fail("node never connected back")
        conn, _ = listener.accept()
        data = read_until(conn, lambda d: len(d) > len(body) and d.endswith(b"\r\n0\r\n\r\n"))
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        want = [b"POST /py/pong HTTP/1.1",
                b"User-Agent: libprocess/echo@127.0.0.1:%d" % port,
                b"Libprocess-From: echo@127.0.0.1:%d" % port,
                b"Connection: Keep-Alive",
                b"Host: 127.0.0.1:%d" % my_port,
                b"Transfer-Encoding: chunked"]
        if lines != want:
            fail("headers %r" % lines)
        size, _, chunk = rest.partition(b"\r\n")
        if int(size, 16) != len(body) or chunk[:len(body)] != body:
            fail("body mismatch")
        if chunk[len(body):] != b"\r\n0\r\n\r\n":
            fail("chunk trailer %r" % chunk[len(body):])
        conn.sendall(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
        conn.close()
        out.close()
        print("ok")
    finally:
        node.stdin.close()
        node.wait(timeout=BOUND)
    if node.returncode != 0:
        fail("node exited with %d" % node.returncode)


main()
