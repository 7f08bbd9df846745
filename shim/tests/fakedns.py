#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Fake DNS for tests/run.sh, run only inside a test namespace that has
nothing but lo: no query can leave the machine.
usage: fakedns.py ADDR DELAY
Answers every query with NXDOMAIN at once, except: names whose first label
starts with "late" are answered (NXDOMAIN) DELAY seconds after the query,
i.e. a resolver that is slow but does answer; and "target.omr.test"
resolves to 127.0.0.1 (A; AAAA has no record), so a test can reach a name
without the machine's /etc/hosts. Prints one line per query
("query <name, escaped> <monotonic time>") and one per late answer
("answered <name, escaped> <time.time() taken just before it is sent>",
for a shell to compare with $EPOCHREALTIME), flushed."""
import socket, sys, threading, time

addr, delay = sys.argv[1], float(sys.argv[2])
# Late answers are sent from timer threads, and the A and AAAA queries of
# one lookup come together, so two of them fire at once, beside the main
# thread's "query" lines. print() writes the text and its newline apart:
# two threads interleaved "answered a T1answered a T2\n\n", a line the
# test could not parse (seen once). One write per line, under a lock.
out_lock = threading.Lock()


def out(*words):
    with out_lock:
        sys.stdout.write(" ".join(words) + "\n")
        sys.stdout.flush()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, 53))


def question(p):
    """(name, end of the question section) of a query."""
    labels, i = [], 12
    while i < len(p) and p[i]:
        labels.append(p[i + 1:i + 1 + p[i]])
        i += 1 + p[i]
    return b".".join(labels), i + 5


def esc(name):
    return name.decode("latin-1").encode("unicode_escape").decode()


def nxdomain(p, peer):
    _, end = question(p)
    # Same id, QR|RD|RA, RCODE 3; the question echoed, no records.
    s.sendto(p[:2] + b"\x81\x83\x00\x01\x00\x00\x00\x00\x00\x00" + p[12:end], peer)


def late(p, peer):
    # The time is taken before the answer leaves: whoever acts on the
    # answer does so after it.
    t = time.time()
    nxdomain(p, peer)
    out("answered", esc(question(p)[0]), "%.6f" % t)


def target(p, peer):
    _, end = question(p)
    qtype = p[end - 4:end - 2]
    # QR|RD|RA, RCODE 0; an A query gets 127.0.0.1 (name as a pointer to
    # the question, TTL 0), any other type no record (NODATA).
    a = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x00\x00\x04\x7f\x00\x00\x01"
    an = qtype == b"\x00\x01"
    s.sendto(p[:2] + b"\x81\x80\x00\x01\x00" + bytes([an]) + b"\x00\x00\x00\x00"
             + p[12:end] + (a if an else b""), peer)


while True:
    p, peer = s.recvfrom(4096)
    if len(p) < 12:
        continue
    name, _ = question(p)
    out("query", esc(name), "%.3f" % time.monotonic())
    if name.lower() == b"target.omr.test":
        target(p, peer)
    elif name.startswith(b"late"):
        threading.Timer(delay, late, (p, peer)).start()
    else:
        nxdomain(p, peer)
