#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The stats exporter's tests' client side (tests/stats.sh runs the shims).
usage:
  stats.py get SOCK [prometheus|json|RAW]   print what the socket answers
  stats.py check FILE                       FILE is strict Prometheus text
  stats.py workload LOCAL SERVER ECHO PW USER PASS LSOCK SSOCK
      N SOCKS5 connections (RFC 1929) echoing known bytes, one refused
      login, forged tunnel input (M bad tags, a replay, a bad header, a bad
      later chunk); then both instances' counters must be exactly what that
      traffic makes. Loopback only."""
import json, os, re, socket, struct, sys, time
sys.path.insert(0, os.path.dirname(__file__))
from badinput import Stream, decrypt_reply  # noqa: E402

H = "127.0.0.1"
N, M = 20, 5

def get(path, req=None):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(path)
    if req is None:
        s.shutdown(socket.SHUT_WR)
    else:
        s.sendall(req.encode())
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
    s.close()
    return out.decode()

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*"'
SAMPLE = re.compile(r"(%s)(?:\{(%s(?:,%s)*)\})? (-?[0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?)$"
                    % (NAME, LABEL, LABEL))

def parse(text):
    """Strict Prometheus text (0.0.4): every line is HELP, TYPE or a sample;
    HELP then TYPE once per metric, before its samples, which are contiguous
    and unique; counters end in _total. Returns {(name, labels): value}."""
    if not text.endswith("\n"):
        raise ValueError("no final newline")
    helped, typed, done, samples, cur = set(), {}, set(), {}, None
    for i, line in enumerate(text[:-1].split("\n"), 1):
        m = re.fullmatch(r"# (HELP|TYPE) (%s) (.+)" % NAME, line)
        if m:
            kind, name, rest = m.groups()
            if kind == "HELP":
                if name in helped or name in done:
                    raise ValueError("line %d: second HELP for %s" % (i, name))
                helped.add(name)
            else:
                if name in typed or name not in helped:
                    raise ValueError("line %d: TYPE for %s not once after its HELP" % (i, name))
                if rest not in ("counter", "gauge"):
                    raise ValueError("line %d: type %r" % (i, rest))
                if rest == "counter" and not name.endswith("_total"):
                    raise ValueError("line %d: counter %s without _total" % (i, name))
                typed[name] = rest
                if cur:
                    done.add(cur)
                cur = name
            continue
        m = SAMPLE.match(line)
        if not m:
            raise ValueError("line %d is not HELP, TYPE or a sample: %r" % (i, line))
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        if name != cur or name not in typed:
            raise ValueError("line %d: sample of %s outside its HELP/TYPE block" % (i, name))
        key = (name, labels)
        if key in samples:
            raise ValueError("line %d: duplicate sample %s{%s}" % (i, name, labels))
        samples[key] = float(value)
    return samples

def val(samples, name, **labels):
    """The one sample of omr_shim_NAME whose labels include these."""
    want = ['%s="%s"' % kv for kv in labels.items()]
    hits = [v for (n, l), v in samples.items()
            if n == "omr_shim_" + name and all(w in l.split(",") for w in want)]
    if len(hits) != 1:
        raise ValueError("%d samples of %s %s" % (len(hits), name, labels))
    return int(hits[0])

def recv_all(s):
    out = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except ConnectionResetError:
        pass
    return out

def socks(port, user, pw, target):
    """SOCKS5 CONNECT with RFC 1929; returns (socket, bytes sent, bytes read)."""
    s = socket.create_connection((H, port), timeout=10)
    auth = bytes([1, len(user)]) + user + bytes([len(pw)]) + pw
    req = b"\x05\x01\x00\x01" + socket.inet_aton(H) + struct.pack(">H", target)
    s.sendall(b"\x05\x01\x02")
    assert s.recv(2) == b"\x05\x02"
    s.sendall(auth)
    if s.recv(2) != b"\x01\x00":
        return s, 3 + len(auth), 4
    s.sendall(req)
    r = b""
    while len(r) < 10:
        r += s.recv(10 - len(r))
    assert r[1] == 0, "CONNECT refused"
    return s, 3 + len(auth) + len(req), 4 + 10

def good_conn(local, user, pw, echo, size):
    s, tx, rx = socks(local, user, pw, echo)
    data = os.urandom(size)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)          # half-close: the echo's EOF comes back
    back = recv_all(s)
    s.close()
    assert back == data, "echo differs (%d of %d bytes)" % (len(back), size)
    return tx + size, rx + size

def forged(server, pw, echo):
    """Tunnel input straight to the server. Returns (bytes sent, bytes
    received, echo payload bytes) once the server has closed every one."""
    hdr = bytes([1, 127, 0, 0, 1]) + struct.pack(">H", echo)
    conns = []
    for _ in range(M):                  # bad tag: random bytes
        conns.append(os.urandom(100))
    st = Stream(pw)                     # bad header: ATYP 9
    conns.append(st.salt + st.chunk(bytes([9, 1, 2, 3])))
    st = Stream(pw)                     # a good first chunk, then a bad one
    conns.append(st.salt + st.chunk(hdr) + os.urandom(60))
    # A real request, its reply read; then the same bytes again: a replay.
    st = Stream(pw)
    payload = b"replayed request"
    wire = st.salt + st.chunk(hdr + payload)
    s = socket.create_connection((H, server), timeout=10)
    s.sendall(wire)
    s.shutdown(socket.SHUT_WR)
    got = recv_all(s)
    s.close()
    assert decrypt_reply(pw, got) == payload, "the replayed request was not echoed first"
    sent, rcvd = len(wire), len(got)
    conns.append(wire)
    socks_ = []
    for data in conns:
        s = socket.create_connection((H, server), timeout=10)
        s.sendall(data)
        socks_.append(s)
        sent += len(data)
    for s in socks_:                    # the server drains, then closes
        rcvd += len(recv_all(s))
        s.close()
    return sent, rcvd, len(payload)

def settle(path, timeout=10):
    """Counters once every connection is closed (active 0, closed = accepted)."""
    end = time.monotonic() + timeout
    while True:
        smp = parse(get(path))
        if (val(smp, "connections_active") == 0 and
                val(smp, "connections_closed_total") == val(smp, "connections_accepted_total")):
            return smp
        if time.monotonic() > end:
            raise SystemExit("%s: connections still open: %r" % (path, smp))
        time.sleep(0.1)

def expect(what, got, want):
    ok = got == want
    print("%s %s: %d, expected %d" % ("ok" if ok else "MISMATCH", what, got, want))
    return ok

def workload(local, server, echo, pw, user, upw, lsock, ssock):
    sizes = [1 + 997 * i for i in range(N)]
    ltx = lrx = 0
    for n in sizes:
        tx, rx = good_conn(local, user.encode(), upw.encode(), echo, n)
        ltx, lrx = ltx + tx, lrx + rx
    s, tx, rx = socks(local, user.encode(), b"wrong", echo)
    assert recv_all(s) == b"", "refused login: more bytes"
    s.close()
    ltx, lrx = ltx + tx, lrx + rx
    fsent, frcvd, fpay = forged(server, pw, echo)
    L, S = settle(lsock), settle(ssock)
    tun = lambda smp, d: val(smp, "bytes_total", side="tunnel", direction=d)
    plain = lambda smp, d: val(smp, "bytes_total", side="plain", direction=d)
    af = lambda smp, r: val(smp, "auth_failures_total", proto="tcp", reason=r)
    checks = [
        ("local accepted", val(L, "connections_accepted_total"), N + 1),
        ("local plain rx (SOCKS5 + payload)", plain(L, "rx"), ltx),
        ("local plain tx (replies + echo)", plain(L, "tx"), lrx),
        ("local socks_auth failures", af(L, "socks_auth"), 1),
        ("local tunnels", sum(val(L, "tunnels_total", transport=t)
                              for t in ("mptcp", "fallback", "tcp")), N),
        ("server accepted", val(S, "connections_accepted_total"), N + M + 4),
        ("server plain rx (echo replies)", plain(S, "rx"), sum(sizes) + fpay),
        ("server plain tx (to the echo)", plain(S, "tx"), sum(sizes) + fpay),
        ("server tunnel rx = local tunnel tx + forged", tun(S, "rx"), tun(L, "tx") + fsent),
        ("server tunnel tx = local tunnel rx + to forged", tun(S, "tx"), tun(L, "rx") + frcvd),
        ("server bad_tag", af(S, "bad_tag"), M),
        ("server replay", af(S, "replay"), 1),
        ("server bad_header", af(S, "bad_header"), 1),
        ("server bad_chunk", af(S, "bad_chunk"), 1),
        ("local auth failures from the tunnel", sum(af(L, r) for r in
                                                    ("bad_tag", "bad_chunk", "replay", "bad_header")), 0),
        ("workers", val(S, "workers"), 2),
    ]
    ok = all([expect(*c) for c in checks])
    # JSON is the same snapshot in another shape.
    j = json.loads(get(ssock, "json"))
    ok &= expect("json auth_failures.bad_tag", j["auth_failures"]["bad_tag"], M)
    ok &= expect("json bytes.tunnel_rx", j["bytes"]["tunnel_rx"], tun(S, "rx"))
    ok &= expect("json connections.accepted", j["connections"]["accepted"], N + M + 4)
    return ok

def main(a):
    if a[0] == "get":
        sys.stdout.write(get(a[1], a[2] if len(a) > 2 else None))
        return 0
    if a[0] == "check":
        smp = parse(open(a[1]).read())
        print("%d samples, every line HELP, TYPE or a sample" % len(smp))
        return 0
    if a[0] == "workload":
        return 0 if workload(int(a[1]), int(a[2]), int(a[3]), a[4], a[5], a[6], a[7], a[8]) else 1
    return 2

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
