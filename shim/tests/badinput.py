#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Bad-input tests against running omr-shim processes (loopback only).
usage: badinput.py LOCAL_PORT AUTH_LOCAL_PORT SERVER_PORT ECHO_PORT PASSWORD HS_TIMEOUT
       badinput.py --count
Prints one "ok - ..." / "not ok - ..." line per case (tests/run.sh numbers
them). The tunnel cases speak SIP004 with python3-cryptography, i.e. an
implementation independent of the one under test."""
import os, socket, struct, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "vectors"))
from gen_vectors import bytes_to_key
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

H = "127.0.0.1"
REP = lambda code: bytes([5, code, 0, 1, 0, 0, 0, 0, 0, 0])

def talk(port, data, wait=2.0, half_close=False):
    """Send data, collect everything until the peer closes or wait expires.
    Returns (reply bytes, closed_by_peer, seconds until close)."""
    s = socket.create_connection((H, port), timeout=wait)
    t0 = time.monotonic()
    s.sendall(data)
    if half_close:
        s.shutdown(socket.SHUT_WR)
    got, closed = b"", False
    try:
        while True:
            b = s.recv(65536)
            if not b:
                closed = True
                break
            got += b
    except (socket.timeout, ConnectionResetError) as e:
        closed = isinstance(e, ConnectionResetError)
    s.close()
    return got, closed, time.monotonic() - t0

class Stream:
    def __init__(self, pw, salt=None):
        self.key = bytes_to_key(pw.encode(), 32)
        self.salt = salt or os.urandom(32)
        self.n = 0
        self.a = ChaCha20Poly1305(HKDF(hashes.SHA1(), 32, self.salt, b"ss-subkey").derive(self.key))
    def seal(self, data):
        r = self.a.encrypt(self.n.to_bytes(12, "little"), data, None)
        self.n += 1
        return r
    def chunk(self, data, length=None):
        n = len(data) if length is None else length
        return self.seal(struct.pack(">H", n)) + self.seal(data)
    def open(self, data):
        r = self.a.decrypt(self.n.to_bytes(12, "little"), data, None)
        self.n += 1
        return r

def decrypt_reply(pw, wire):
    d = Stream.__new__(Stream)
    d.key, d.n = bytes_to_key(pw.encode(), 32), 0
    d.a = ChaCha20Poly1305(HKDF(hashes.SHA1(), 32, wire[:32], b"ss-subkey").derive(d.key))
    off, out = 32, b""
    while off + 18 <= len(wire):
        n = struct.unpack(">H", d.open(wire[off:off + 18]))[0]
        out += d.open(wire[off + 18:off + 18 + n + 16])
        off += 18 + n + 16
    return out

def tunnel_roundtrip(port, pw, echo, payload):
    """Send one request for the echo server ECHO carrying PAYLOAD through the
    tunnel at PORT; returns what was sent and what came back."""
    st = Stream(pw)
    hdr = bytes([1, 127, 0, 0, 1]) + struct.pack(">H", echo)
    wire = st.salt + st.chunk(hdr + payload)
    s = socket.create_connection((H, port), timeout=3)
    s.sendall(wire)
    got = b""
    try:
        while len(got) < 32 + 18 + len(payload) + 16:
            b = s.recv(4096)
            if not b:
                break
            got += b
    except socket.timeout:
        pass
    s.close()
    return wire, got

def tunnel_echo(port, pw, echo, payload=b"hello-omr"):
    wire, got = tunnel_roundtrip(port, pw, echo, payload)
    try:
        return decrypt_reply(pw, got) == payload, wire
    except Exception:
        return False, wire

def socks_echo(port, auth=None):
    s = socket.create_connection((H, port), timeout=3)
    if auth:
        u, p = auth
        s.sendall(b"\x05\x01\x02")
        if s.recv(2) != b"\x05\x02":
            return False
        s.sendall(bytes([1, len(u)]) + u + bytes([len(p)]) + p)
        if s.recv(2) != b"\x01\x00":
            return False
    else:
        s.sendall(b"\x05\x01\x00")
        if s.recv(2) != b"\x05\x00":
            return False
    s.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01" + struct.pack(">H", ECHO))
    if s.recv(10) != REP(0):
        return False
    s.sendall(b"ping" * 100)
    got = b""
    while len(got) < 400:
        b = s.recv(4096)
        if not b:
            break
        got += b
    s.close()
    return got == b"ping" * 100

def cases():
    G = b"\x05\x01\x00"
    ok = b"\x05\x00"
    req = lambda atyp_addr: b"\x05\x01\x00" + atyp_addr + b"\x00\x50"
    yield "SOCKS5 bad version greeting: closed, no reply", \
        lambda: talk(LOCAL, b"\x04\x01\x00")[:2] == (b"", True)
    yield "SOCKS5 zero methods: closed, no reply", \
        lambda: talk(LOCAL, b"\x05\x00")[:2] == (b"", True)
    yield "SOCKS5 no acceptable method: 05 FF then close", \
        lambda: talk(LOCAL, b"\x05\x01\x02")[:2] == (b"\x05\xff", True)
    yield "SOCKS5 truncated greeting then EOF: closed, no reply", \
        lambda: talk(LOCAL, b"\x05\x02\x00", half_close=True)[:2] == (b"", True)
    yield "SOCKS5 request with bad version: closed after method reply", \
        lambda: talk(LOCAL, G + b"\x04\x01\x00\x01\x01\x02\x03\x04\x00\x50")[:2] == (ok, True)
    yield "SOCKS5 bad ATYP: full reply REP=08 then close", \
        lambda: talk(LOCAL, G + b"\x05\x01\x00\x07\x01\x02\x03\x04\x00\x50")[:2] == (ok + REP(8), True)
    yield "SOCKS5 zero-length domain: full reply REP=01 then close", \
        lambda: talk(LOCAL, G + req(b"\x03\x00"))[:2] == (ok + REP(1), True)
    yield "SOCKS5 BIND: full reply REP=07 then close", \
        lambda: talk(LOCAL, G + b"\x05\x02\x00\x01\x7f\x00\x00\x01\x00\x50")[:2] == (ok + REP(7), True)
    yield "SOCKS5 UDP ASSOCIATE: full reply REP=07 then close", \
        lambda: talk(LOCAL, G + b"\x05\x03\x00\x01\x00\x00\x00\x00\x00\x00")[:2] == (ok + REP(7), True)
    yield "SOCKS5 unknown command 0x09: REP=07 then close", \
        lambda: talk(LOCAL, G + b"\x05\x09\x00\x01\x7f\x00\x00\x01\x00\x50")[:2] == (ok + REP(7), True)
    yield "SOCKS5 HTTP request on the SOCKS port: closed, no reply", \
        lambda: talk(LOCAL, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")[:2] == (b"", True)
    yield "SOCKS5 oversize greeting (255 methods + junk): answered once, sane", \
        lambda: talk(LOCAL, b"\x05\xff" + bytes(range(255)) + os.urandom(5000))[0][:2] == ok
    yield "SOCKS5 stalled request: closed by handshake timeout", \
        lambda: (lambda r: r[:2] == (ok, True) and r[2] < HS + 2.5)(talk(LOCAL, G + b"\x05\x01", wait=HS + 3))
    yield "SOCKS5 auth: wrong password gets 01 01 then close", \
        lambda: talk(AUTH, b"\x05\x01\x02\x01\x04user\x05wrong")[:2] == (b"\x05\x02\x01\x01", True)
    yield "SOCKS5 auth: client without user/pass method gets 05 FF", \
        lambda: talk(AUTH, b"\x05\x01\x00")[:2] == (b"\x05\xff", True)
    yield "SOCKS5 auth: right credentials relay data", \
        lambda: socks_echo(AUTH, (b"user", b"secret"))
    yield "SOCKS5 local still serves after all bad input", lambda: socks_echo(LOCAL)
    # Tunnel side: a probe must get no bytes and no early close.
    def silent(data):
        got, closed, dt = talk(SERVER, data, wait=HS + 3)
        good = got == b"" and closed and HS - 0.3 <= dt < HS + 2.5
        if not good:
            print("# got %d bytes, %s after %.2f s; want none, closed after %.1f-%.1f s"
                  % (len(got), "closed" if closed else "still open", dt, HS - 0.3, HS + 2.5))
        return good
    yield "tunnel random bytes: no answer, held until handshake timeout", \
        lambda: silent(os.urandom(200))
    def bad_len_tag():
        st = Stream(PW)
        w = bytearray(st.salt + st.chunk(b"\x01\x7f\x00\x00\x01\x00\x50"))
        w[33] ^= 1
        return silent(bytes(w))
    yield "tunnel tampered length tag: no answer, held until timeout", bad_len_tag
    def zero_len():
        st = Stream(PW)
        return silent(st.salt + st.seal(b"\x00\x00") + st.seal(b""))
    yield "tunnel zero-length chunk: no answer, held until timeout", zero_len
    def oversize_len():
        st = Stream(PW)
        return silent(st.salt + st.seal(b"\x40\x00") + os.urandom(100))
    yield "tunnel oversize length: no answer, held until timeout", oversize_len
    def bad_atyp():
        st = Stream(PW)
        return silent(st.salt + st.chunk(b"\x09\x01\x02\x03\x04\x00\x50"))
    yield "tunnel authenticated but bad ATYP header: no answer", bad_atyp
    def wrong_key():
        st = Stream("not-the-password")
        return silent(st.salt + st.chunk(b"\x01\x7f\x00\x00\x01\x00\x50"))
    yield "tunnel wrong password: no answer, held until timeout", wrong_key
    def replay():
        good, wire = tunnel_echo(SERVER, PW, ECHO)
        return good and silent(wire)
    yield "tunnel replayed salt: first accepted, replay gets no answer", replay
    def reflection():
        # Record a server->client stream whose plaintext is itself a request
        # (header for a listener of ours + payload), then send it back to
        # the server. Its salt is the server's own: refused like a replay,
        # and the listener must see no connection.
        lst = socket.socket()
        lst.bind((H, 0))
        lst.listen(4)
        inner = bytes([1, 127, 0, 0, 1]) + struct.pack(">H", lst.getsockname()[1]) + b"reflected"
        _, rec = tunnel_roundtrip(SERVER, PW, ECHO, inner)
        if decrypt_reply(PW, rec) != inner:
            print("# reflection: no echo to record")
            return False
        quiet = silent(rec)
        lst.settimeout(0.2)
        try:
            lst.accept()
            reached = True
        except socket.timeout:
            reached = False
        lst.close()
        print(f"# reflection: probe-silent {quiet}, target reached {reached}")
        return quiet and not reached
    yield "tunnel reflected server reply (its own salt): no answer, target not reached", reflection
    def policy():
        # Server runs without an allow-list for 127.0.0.2? It allows
        # 127.0.0.1/32 only, so 127.0.0.2 must be refused (closed, no data).
        st = Stream(PW)
        got, closed, _ = talk(SERVER, st.salt + st.chunk(bytes([1, 127, 0, 0, 2]) + struct.pack(">H", ECHO) + b"x"))
        return got == b"" and closed
    yield "tunnel target outside the allow-list (127.0.0.2) refused", policy
    yield "tunnel server still serves after all bad input", \
        lambda: tunnel_echo(SERVER, PW, ECHO)[0]

if __name__ == "__main__":
    if sys.argv[1:] == ["--count"]:
        print(sum(1 for _ in cases()))
        sys.exit(0)
    LOCAL, AUTH, SERVER, ECHO = map(int, sys.argv[1:5])
    PW, HS = sys.argv[5], float(sys.argv[6])
    failed = 0
    for name, fn in cases():
        try:
            good = bool(fn())
        except Exception as e:
            print(f"# {name}: {e!r}")
            good = False
        failed += not good
        print(("ok" if good else "not ok") + " - " + name, flush=True)
    sys.exit(1 if failed else 0)
