#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""hostwatch OUTDIR: the host's side of a TCG VM's time, for vm.sh.

A guest under TCG cannot tell a stall of its own from the host not running
it: a QEMU thread that waits for a CPU, sleeps in D state or is stopped, or
a host that is itself paused (the machine may be a VM too) stops the
guest's vCPUs while its clock (the host's) runs on. The guest then reports
a soft lockup or an RCU stall on whichever CPU was busy; an idle CPU
touches its soft-lockup watchdog when its tick restarts
(kernel/time/tick-sched.c), so only a busy one complains. Reproduced: QEMU
stopped for 25 s (SIGSTOP) while one vCPU ran a busy loop gave the guest
"watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [sh:169]" and nothing
else (docs/testing.md, "The debug kernel"). This watcher finds the QEMU process whose command line names
OUTDIR and prints one line per second in which the host held the guest back:

  T  wait MS     a QEMU thread was runnable but not run for MS ms of that second
  T  blocked MS  a QEMU thread was seen in D state (uninterruptible) or
                 stopped (T) for MS ms
  T  gap MS      this watcher itself was not run for MS ms (the whole host)

T is seconds since QEMU started, close to the guest's own uptime stamps
(its kernel starts within a second of QEMU). It exits when QEMU does.
"""
import os
import sys
import time

TICK = 0.2          # seconds between samples
WAIT_MS = 500       # a second with more runqueue wait than this is printed
GAP_MS = 1000       # a watcher gap longer than this is printed


def find_qemu(outdir):
    needle = 'omr.out=' + outdir + ' '
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % pid, 'rb') as f:
                cmd = f.read().replace(b'\0', b' ').decode(errors='replace')
        except OSError:
            continue
        if cmd.startswith('qemu-system') and needle in cmd:
            return pid
    return None


def started(pid):
    """QEMU's start, in CLOCK_BOOTTIME seconds (/proc/PID/stat field 22)."""
    with open('/proc/%s/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return int(fields[19]) / os.sysconf('SC_CLK_TCK')


def sample(pid):
    """{tid: (runqueue wait ns, state)} of QEMU's threads."""
    out = {}
    try:
        tids = os.listdir('/proc/%s/task' % pid)
    except OSError:
        return None
    for tid in tids:
        try:
            with open('/proc/%s/task/%s/schedstat' % (pid, tid)) as f:
                wait = int(f.read().split()[1])
            with open('/proc/%s/task/%s/stat' % (pid, tid)) as f:
                state = f.read().rsplit(')', 1)[1].split()[0]
        except (OSError, IndexError, ValueError):
            continue
        out[tid] = (wait, state)
    return out


def main():
    outdir = sys.argv[1]
    deadline = time.monotonic() + 60
    pid = None
    while pid is None and time.monotonic() < deadline:
        pid = find_qemu(outdir)
        time.sleep(TICK)
    if pid is None:
        return
    t0 = started(pid)
    prev = sample(pid) or {}
    last = time.monotonic()
    sec_wait, sec_d, sec_start = {}, {}, last
    while True:
        time.sleep(TICK)
        now = time.monotonic()
        cur = sample(pid)
        if cur is None:
            return
        t = time.clock_gettime(time.CLOCK_BOOTTIME) - t0
        if (now - last) * 1000 > GAP_MS:
            print('%.1f gap %d' % (t, (now - last) * 1000), flush=True)
        for tid, (wait, state) in cur.items():
            if tid in prev:
                sec_wait[tid] = sec_wait.get(tid, 0) + (wait - prev[tid][0])
            if state in ('D', 'T', 't'):
                sec_d[tid] = sec_d.get(tid, 0) + (now - last) * 1000
        prev, last = cur, now
        if now - sec_start >= 1.0:
            w = max(sec_wait.values(), default=0) / 1e6
            d = max(sec_d.values(), default=0)
            if w > WAIT_MS:
                print('%.1f wait %d' % (t, w), flush=True)
            if d > 0:
                print('%.1f blocked %d' % (t, d), flush=True)
            sec_wait, sec_d, sec_start = {}, {}, now


if __name__ == '__main__':
    main()
