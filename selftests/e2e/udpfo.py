#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""UDP failover probe of selftests/omr_e2e_udp.sh and omr_e2e_redir.sh: one
process that is both the LAN's UDP client and the WAN's failure, so that
both are on one clock.

  udpfo.py echo HOST PORT [SOURCES]
      a UDP echo server (the internet host); with SOURCES, each source
      address it has not seen before is appended to that file ("IP PORT")
  udpfo.py probe DEV LAN_NS SOCKS_HOST SOCKS_PORT ECHO_HOST ECHO_PORT
                 WARM_S DOWN_S UP_S OUT
      Started inside the namespace of DEV (the VPS's end of a WAN): it keeps
      a socket there for the interface ioctls, then moves itself into
      LAN_NS (setns). Through one SOCKS5 UDP ASSOCIATE, or, with SOCKS_HOST
      "-", plainly from a socket connected to the echo (a transparent
      proxy's client: only a reply from the echo's own address and port
      gets to it), it sends a datagram every 10 ms to the echo.
      After WARM_S s it sets DEV down (the router's end of that
      WAN loses its carrier, as when a modem or an ISP goes away), DOWN_S s
      later up again, and stops UP_S s after that. OUT gets one JSON object:
      the times (CLOCK_REALTIME s, and CLOCK_MONOTONIC ms as omr-watch's),
      what was sent and echoed in each phase, and the gaps."""
import ctypes, fcntl, json, os, select, socket, struct, sys, time

SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP, CLONE_NEWNET = 0x8913, 0x8914, 0x1, 0x40000000


def echo(host, port, sources=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, port))
    seen = set()
    while True:
        d, a = s.recvfrom(65536)
        s.sendto(d, a)
        if sources and a not in seen:
            seen.add(a)
            with open(sources, "a") as f:
                f.write("%s %d\n" % a)


def set_up(ctl, dev, up):
    ifr = struct.pack("16sH14x", dev.encode(), 0)
    flags = struct.unpack("16sH14x", fcntl.ioctl(ctl, SIOCGIFFLAGS, ifr))[1]
    flags = flags | IFF_UP if up else flags & ~IFF_UP
    fcntl.ioctl(ctl, SIOCSIFFLAGS, struct.pack("16sH14x", dev.encode(), flags))


def enter(ns):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open("/run/netns/" + ns, os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET):
        sys.exit("setns %s: %s" % (ns, os.strerror(ctypes.get_errno())))
    os.close(fd)


def associate(host, port):
    c = socket.create_connection((host, port), timeout=10)
    c.sendall(b"\x05\x01\x00")
    if c.recv(2) != b"\x05\x00":
        sys.exit("SOCKS5 greeting refused")
    c.sendall(b"\x05\x03\x00\x01\x00\x00\x00\x00\x00\x00")
    r = b""
    while len(r) < 10:
        r += c.recv(10 - len(r))
    if r[1] != 0 or r[3] != 1:
        sys.exit("UDP ASSOCIATE refused: %r" % r)
    relay = (socket.inet_ntoa(r[4:8]), struct.unpack(">H", r[8:10])[0])
    if relay[0] == "0.0.0.0":
        relay = (host, relay[1])
    return c, relay


def run(u, relay, hdr, marks):
    """Sends every 10 ms until the last mark; at each mark calls its action.
    Returns {seq: send time} and {seq: echo time}."""
    sent, got, seq = {}, {}, 0
    end = marks[-1][0]
    nxt = time.time()
    while time.time() < end:
        while marks and time.time() >= marks[0][0]:
            marks.pop(0)[1]()
        u.sendto(hdr + struct.pack(">I", seq), relay)
        sent[seq] = time.time()
        seq += 1
        # every 10 ms; after a stall (a busy VM), no burst to catch up
        nxt = max(nxt + 0.01, time.time() - 0.005)
        while True:
            left = nxt - time.time()
            r, _, _ = select.select([u], [], [], max(0, left))
            if r:
                d = u.recv(65536)
                got.setdefault(struct.unpack(">I", d[-4:])[0], time.time())
            elif left <= 0:
                break
    for m in marks:
        m[1]()
    return sent, got


def phase(sent, got, t0, t1):
    """The datagrams sent in [t0, t1) (t0: an event) and their echoes:
    first_echo_ms, from t0 to the first echo of a datagram sent at or after
    t0; gap_ms, the longest silence between two echoes from 1 s before t0
    to 1 s after that first echo (what an application saw); lost, the
    datagrams sent from 1 s before t0 up to that first echo with no echo;
    how many of those sent after it were echoed, and their median round
    trip."""
    seqs = [q for q in sent if t0 <= sent[q] < t1]
    firsts = [got[q] for q in seqs if q in got]
    first = min(firsts) if firsts else t1
    echoes = sorted(e for e in got.values() if t0 - 1 <= e <= first + 1)
    gap = max([b - a for a, b in zip(echoes, echoes[1:])] or [0])
    after = [q for q in seqs if sent[q] >= first]
    rtts = sorted(got[q] - sent[q] for q in after if q in got)
    return {"sent": len(seqs), "echoed": sum(1 for q in seqs if q in got),
            "rtt_ms": rtts[len(rtts) // 2] * 1000 if rtts else None,
            "first_echo": first if firsts else None, "first_echo_ms": (first - t0) * 1000,
            "gap_ms": gap * 1000,
            "lost": sum(1 for q in sent if t0 - 1 <= sent[q] < first and q not in got),
            "sent_after": len(after), "echoed_after": sum(1 for q in after if q in got)}


def probe(a):
    dev, lan_ns, sh, sp, eh, ep, warm, down, up, out = a
    ctl = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)	# in DEV's namespace
    enter(lan_ns)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if sh == "-":
        c, relay, hdr = None, (eh, int(ep)), b""
        u.connect(relay)
    else:
        c, relay = associate(sh, int(sp))
        hdr = b"\x00\x00\x00\x01" + socket.inet_aton(eh) + struct.pack(">H", int(ep))
    t = {}

    def mark(name, action=None):
        def f():
            t[name] = time.time()
            t[name + "_mono_ms"] = time.clock_gettime(time.CLOCK_MONOTONIC) * 1000
            if action:
                action()
        return f
    start = time.time()
    marks = [(start + float(warm), mark("down", lambda: set_up(ctl, dev, False))),
             (start + float(warm) + float(down), mark("up", lambda: set_up(ctl, dev, True))),
             (start + float(warm) + float(down) + float(up), mark("end"))]
    mark("start")()
    sent, got = run(u, relay, hdr, marks)
    if c:
        c.close()
    r = dict(t, sent=len(sent), echoed=len(got),
             warm=phase(sent, got, t["start"], t["down"]),
             outage=phase(sent, got, t["down"], t["up"]),
             back=phase(sent, got, t["up"], t["end"] + 1))
    with open(out, "w") as f:
        json.dump(r, f)


if __name__ == "__main__":
    if sys.argv[1] == "echo" and len(sys.argv) in (4, 5):
        echo(sys.argv[2], int(sys.argv[3]), (sys.argv[4:] or [None])[0])
    elif sys.argv[1] == "probe" and len(sys.argv) == 12:
        probe(sys.argv[2:])
    else:
        sys.exit(__doc__)
