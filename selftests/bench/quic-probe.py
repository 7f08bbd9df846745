#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The LAN client of selftests/bench/quic-vm.sh (docs/shim.md, "QUIC"): one
long-lived process per phase, in the LAN namespace, no proxy settings. It
starts the clients and times them on CLOCK_MONOTONIC, omr-watch's clock, so
quic-vm.sh can match each run with the guest's CPU and the WANs' bytes.

  quic-probe.py bulk OUT HOST MS REPS TTFB_REPS DIR [DIRECT_HOST]
      REPS times, alternating: an HTTP/3 download of https://HOST/big by
      gtlsclient (ngtcp2's client: UDP to port 443, which the router's
      TPROXY hands to omr-shim redir -u, relayed on one WAN), then the same
      object over HTTP by curl (http://HOST/big: TCP, which the router
      hands to omr-shim redir, one MPTCP connection over every WAN: what a
      browser falls back to when QUIC is blocked; the transport is what is
      compared). Each is measured for MS ms from
      its first byte on disk, then ended. With DIRECT_HOST, a third: the
      same HTTP/3 download from DIRECT_HOST, an address the router's
      ruleset leaves alone, so it is routed on one WAN without the relay
      (what the relay itself costs). Then TTFB_REPS times, alternating,
      https://HOST/small by each (curl with the certificate
      $QUIC_PROBE_CACERT alone, when set), to its end: the time to its
      first response byte and
      to its last, on the client's own clock (gtlsclient's log, in ms since
      its connection began; curl's -w), and from the process's start.
  quic-probe.py fail OUT HOST LABEL REPS
      What a QUIC attempt meets (LABEL names the router's setting): REPS
      times gtlsclient fetching /small, until it exits (it gives up after
      its 10 s handshake timeout when nothing answers), and 5 times a bare
      UDP socket connected to HOST:443 sending one 1200-byte datagram
      shaped like a QUIC Initial (long header, an unknown version, which a
      QUIC server answers with a Version Negotiation): answered, refused
      (ECONNREFUSED: an ICMP port unreachable came back) or nothing in 3 s.
OUT gets one JSON object per run (appended). DIR is a scratch directory."""
import errno, json, os, re, select, socket, subprocess, sys, time

CURL = ["curl", "-sk", "--noproxy", "*"]


def mono_ms():
    return time.monotonic() * 1000.0


def emit(out, d):
    with open(out, "a") as f:
        f.write(json.dumps(d) + "\n")


def fsize(path):
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


def rm(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def quic_argv(host, obj, d, quiet=True):
    a = ["gtlsclient", "--exit-on-all-streams-close", "--no-quic-dump", "--no-http-dump"]
    if quiet:
        a.append("-q")
    if d:
        a += ["--download", d]
    return a + [host, "443", "https://%s/%s" % (host, obj)]


def stop(p):
    """SIGINT first (gtlsclient closes its connection on it), then SIGKILL."""
    if p.poll() is None:
        p.send_signal(2)
        try:
            p.wait(2)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    return p.returncode


def download(kind, host, ms, d):
    """One download of /big, measured for ms ms from its first byte."""
    f = os.path.join(d, "big")
    rm(f)
    argv = CURL + ["-o", f, "http://%s/big" % host] if kind == "tcp" else \
        quic_argv(host, "big", d)
    err = open(os.path.join(d, "err"), "w")
    t0 = mono_ms()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)
    first = None
    while True:
        b0, now = fsize(f), mono_ms()
        if b0 > 0:
            first = now
            break
        if p.poll() is not None or now - t0 > 20000:
            break
        time.sleep(0.005)
    r = {"kind": kind, "what": "download", "spawn_mono_ms": round(t0)}
    if first is None:
        rc = stop(p)
        err.close()
        r.update(ok=False, why="no byte in %.0f ms, exit %s: %s" %
                 (mono_ms() - t0, rc, open(os.path.join(d, "err")).read()[-300:]))
        return r
    time.sleep(ms / 1000.0)
    b1, t1 = fsize(f), mono_ms()
    running = p.poll() is None
    rc = stop(p)
    err.close()
    r.update(ok=running and b1 > b0, first_mono_ms=round(first), last_mono_ms=round(t1),
             bytes=b1 - b0, mbps=round((b1 - b0) * 8 / (t1 - first) / 1000, 3),
             first_byte_after_spawn_ms=round(first - t0), exit=rc)
    if not running:
        r["why"] = "ended before the time bound (exit %s): %s" % (
            rc, open(os.path.join(d, "err")).read()[-300:])
    rm(f)
    return r


def quic_log_times(log):
    """gtlsclient's log, in ms since its connection began: the handshake
    complete, the first 1-RTT packet sent (the request goes in it), the
    response's headers on stream 0, and stream 0's last frame (fin=1)."""
    last = hs = req = hdr = done = None
    ts = re.compile(r"^I(\d{8}) ")
    with open(log, errors="replace") as f:
        for line in f:
            m = ts.match(line)
            if m:
                last = int(m.group(1))
                if hs is not None and req is None and " pkt tx " in line and "type=1RTT" in line:
                    req = last
                if hdr is not None and " frm rx " in line and " STREAM(" in line and \
                        " id=0x0 " in line and " fin=1 " in line:
                    done = last
            elif hs is None and line.startswith("QUIC handshake has completed"):
                hs = last
            elif hdr is None and line.startswith("http: stream 0x0 response headers started"):
                hdr = last
    return hs, req, hdr, done


def small(kind, host, d, want):
    """/small to its end: times to first and last byte."""
    f = os.path.join(d, "small")
    log = os.path.join(d, "log")
    rm(f)
    if kind == "quic":
        argv = quic_argv(host, "small", d, quiet=False)
    else:
        ca = os.environ.get("QUIC_PROBE_CACERT")
        argv = CURL + (["--cacert", ca] if ca else []) + \
            ["-o", f, "-w", "%{time_connect} %{time_appconnect} %{time_starttransfer} %{time_total}",
             "https://%s/small" % host]
    t0 = mono_ms()
    with open(log, "w") as lf:
        p = subprocess.Popen(argv, stdout=lf, stderr=subprocess.STDOUT)
        first = None
        while p.poll() is None and mono_ms() - t0 < 20000:
            if first is None and fsize(f) > 0:
                first = mono_ms()
            time.sleep(0.002)
        rc = stop(p)
    t1 = mono_ms()
    r = {"kind": kind, "what": "small", "spawn_mono_ms": round(t0), "last_mono_ms": round(t1),
         "exit": rc, "bytes": fsize(f), "exit_after_spawn_ms": round(t1 - t0)}
    if first is not None:
        r["first_byte_after_spawn_ms"] = round(first - t0)
    if kind == "quic":
        hs, req, hdr, done = quic_log_times(log)
        r.update(handshake_ms=hs, request_sent_ms=req)
    else:
        try:
            c = [float(x) * 1000 for x in open(log).read().split()[-4:]]
            hdr, done = c[2], c[3]
            r["connect_ms"], r["tls_ms"] = round(c[0], 1), round(c[1], 1)
        except (ValueError, IndexError):
            hdr = done = None
    r.update(ttfb_ms=hdr, done_ms=done,
             ok=rc == 0 and r["bytes"] == want and hdr is not None and done is not None)
    if not r["ok"]:
        r["why"] = open(log, errors="replace").read()[-300:]
    return r


def udp_probe(host):
    """One Initial-shaped datagram from a connected socket: its fate."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((host, 443))
    # long header, type Initial; version 0x1a2a3a4a (reserved for
    # negotiation, RFC 9000 15): a server answers with Version Negotiation
    pkt = bytes([0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 8]) + os.urandom(8) + bytes([8]) + os.urandom(8)
    pkt += bytes(1200 - len(pkt))
    t0 = mono_ms()
    s.send(pkt)
    fate = "none"
    while True:
        left = 3000 - (mono_ms() - t0)
        if left <= 0 or not select.select([s], [], [], left / 1000.0)[0]:
            break
        try:
            s.recv(65536)
            fate = "answered"
        except OSError as e:
            fate = "refused" if e.errno == errno.ECONNREFUSED else errno.errorcode.get(e.errno, str(e.errno))
        break
    t = mono_ms() - t0
    s.close()
    return {"what": "udp", "fate": fate, "ms": round(t, 1) if fate != "none" else None}


def main():
    cmd, out, host = sys.argv[1], sys.argv[2], sys.argv[3]
    if cmd == "bulk":
        ms, reps, treps, d = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
        direct = sys.argv[8] if len(sys.argv) > 8 else None
        want = int(open(os.path.join(d, "small.size")).read())
        for rep in range(1, reps + 1):
            for kind in ("quic", "tcp", "direct") if direct else ("quic", "tcp"):
                r = download(kind, direct if kind == "direct" else host, ms, d)
                r["rep"] = rep
                emit(out, r)
                time.sleep(1)  # what the killed transfer left in flight drains
        for rep in range(1, treps + 1):
            for kind in ("quic", "tcp"):
                r = small(kind, host, d, want)
                r["rep"] = rep
                emit(out, r)
                time.sleep(0.3)
    elif cmd == "fail":
        label, reps = sys.argv[4], int(sys.argv[5])
        for rep in range(1, reps + 1):
            t0 = mono_ms()
            p = subprocess.Popen(quic_argv(host, "small", None), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE)
            try:
                _, e = p.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                _, e = p.communicate()
            emit(out, {"what": "fail", "setting": label, "rep": rep, "client": "gtlsclient",
                       "exit": p.returncode, "exit_after_spawn_ms": round(mono_ms() - t0),
                       "stderr": e.decode(errors="replace").strip()[-200:]})
        for rep in range(1, 6):
            r = udp_probe(host)
            r.update(setting=label, rep=rep)
            emit(out, r)
    else:
        sys.exit("usage: see the header")


if __name__ == "__main__":
    main()
