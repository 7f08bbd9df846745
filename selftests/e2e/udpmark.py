#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Marked UDP through a WAN failure, for omrctl udp-route's tests
(selftests/omr_pm_ipv6.sh): one process, so that the datagrams, the
failure and the interface counters are on one clock.

  udpmark.py echo ADDR PORT
      a UDP echo server (IPv4 or IPv6 ADDR)
  udpmark.py probe ADDR PORT MARK WARM_S AFTER_S DEV PEER_NS DEVS OUT
      Started in the router's namespace: it sends a datagram every 10 ms,
      with SO_MARK MARK (as omr-shim's udp_fwmark), to the echo at
      ADDR PORT. After WARM_S s it sets DEV down in its own namespace and
      in PEER_NS (the VPS's end: both ends of the WAN, as the selftests'
      path_down) and stops AFTER_S s later. OUT gets one JSON object: the
      failure's time (CLOCK_REALTIME s, omrctl's clock), what was sent
      and echoed before it, the first echo of a datagram sent after it,
      what was sent and echoed after that echo, and the tx packets of each
      of DEVS (comma-separated) in each of the two phases."""
import ctypes, fcntl, json, os, select, socket, struct, sys, time

SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP, CLONE_NEWNET = 0x8913, 0x8914, 0x1, 0x40000000
SO_MARK = getattr(socket, "SO_MARK", 36)


def echo(addr, port):
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET,
                      socket.SOCK_DGRAM)
    s.bind((addr, port))
    while True:
        d, a = s.recvfrom(65536)
        s.sendto(d, a)


def set_down(ctl, dev):
    ifr = struct.pack("16sH14x", dev.encode(), 0)
    flags = struct.unpack("16sH14x", fcntl.ioctl(ctl, SIOCGIFFLAGS, ifr))[1]
    fcntl.ioctl(ctl, SIOCSIFFLAGS, struct.pack("16sH14x", dev.encode(), flags & ~IFF_UP))


def setns(fd):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET):
        sys.exit("setns: %s" % os.strerror(ctypes.get_errno()))


def peer_socket(ns):
    """A socket in namespace @ns, for its interface ioctls."""
    here = os.open("/proc/self/ns/net", os.O_RDONLY)
    there = os.open("/run/netns/" + ns, os.O_RDONLY)
    setns(there)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    setns(here)
    os.close(here)
    os.close(there)
    return s


def tx(devs):
    out = {}
    for d in devs:
        with open("/sys/class/net/%s/statistics/tx_packets" % d) as f:
            out[d] = int(f.read())
    return out


def probe(addr, port, mark, warm, after, dev, peer_ns, devs, out):
    devs = devs.split(",")
    here = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer = peer_socket(peer_ns)
    u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    u.setsockopt(socket.SOL_SOCKET, SO_MARK, mark)
    sent, got, errs, seq = {}, {}, {}, 0
    c0, t0 = tx(devs), time.time()
    t_down, c1, end = t0 + warm, None, t0 + warm + after
    nxt = t0
    while time.time() < end:
        now = time.time()
        if c1 is None and now >= t_down:
            c1, t_down = tx(devs), now
            set_down(peer, dev)
            set_down(here, dev)
        if now >= nxt:
            sent[seq] = now
            try:
                u.sendto(struct.pack(">Q", seq), (addr, port))
            except OSError as e:
                errs[e.strerror] = errs.get(e.strerror, 0) + 1
            seq += 1
            nxt += 0.01
        r, _, _ = select.select([u], [], [], max(0.0, min(nxt, end) - time.time()))
        if r:
            d, _ = u.recvfrom(64)
            got.setdefault(struct.unpack(">Q", d[:8])[0], time.time())
    time.sleep(0.3)		# the last echoes
    while select.select([u], [], [], 0)[0]:
        got.setdefault(struct.unpack(">Q", u.recvfrom(64)[0][:8])[0], time.time())
    c2 = tx(devs)
    before = [s for s in sent if sent[s] < t_down]
    later = [s for s in sent if sent[s] >= t_down]
    resumed = min((got[s] for s in later if s in got), default=None)
    after_r = [s for s in later if resumed is not None and sent[s] >= resumed]
    res = {
        "t_down": t_down,
        "before": {"sent": len(before), "echoed": sum(s in got for s in before),
                   "tx": {d: c1[d] - c0[d] for d in devs}},
        "resumed_ms": None if resumed is None else round((resumed - t_down) * 1000),
        "after": {"sent": len(after_r), "echoed": sum(s in got for s in after_r),
                  "tx": {d: c2[d] - c1[d] for d in devs}},
        "send_errors": errs,
    }
    with open(out, "w") as f:
        json.dump(res, f)


if __name__ == "__main__":
    a = sys.argv
    if len(a) == 4 and a[1] == "echo":
        echo(a[2], int(a[3]))
    elif len(a) == 11 and a[1] == "probe":
        probe(a[2], int(a[3]), int(a[4], 0), float(a[5]), float(a[6]), a[7],
              a[8], a[9], a[10])
    else:
        sys.exit(__doc__)
