#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Weighting by rate and by loss (thresholds explained in docs/scheduler.md):
#  - 40 and 10 Mbit/s, same delay: the fast path carries >= 65 % of the bytes
#    (its fair share by rate is 80 %; 65 leaves room for slow start and TCG
#    jitter, and is far above the 50 % a rate-blind round robin would give);
#  - 20 and 20 Mbit/s, 10 ms, one with 5 % random loss: the lossy path
#    carries <= 30 % (a loss-blind scheduler on equal paths gives ~50 %).
# Each case runs in both directions (upload: router sends; download: VPS).
source "$(dirname "$0")/lib.sh"
trap cleanup_all EXIT
omr_load

ktap_print_header
ktap_set_plan 6

topo_setup omr "40mbit 10ms" "10mbit 10ms"
for dir in up down; do
	side=cli; [ $dir = down ] && side=srv
	xfer "rate-$dir" 16M $dir
	rc=$?
	share=$(xfer_share "rate-$dir" $side 1)
	log "4:1 rates, $dir: fast path share $share % ($(xfer_split "rate-$dir" $side | tr '\n' ' '))"
	ktap_test_result "4:1 rates $dir: fast path carries >= 65 % (has $share %)" \
		eval "[ $rc -eq 0 ] && xfer_intact rate-$dir && [ $share -ge 65 ]"
done

topo_setup omr "20mbit 10ms" "20mbit 10ms 5%"
for dir in up down; do
	side=cli; [ $dir = down ] && side=srv
	xfer "loss-$dir" 16M $dir
	rc=$?
	share=$(xfer_share "loss-$dir" $side 2)
	log "5 % loss on eth2, $dir: lossy path share $share % ($(xfer_split "loss-$dir" $side | tr '\n' ' '))"
	ktap_test_result "5 % loss $dir: lossy path carries <= 30 % (has $share %)" \
		eval "[ $rc -eq 0 ] && xfer_intact loss-$dir && [ $share -le 30 ]"
done

# Backup: a backup subflow carries (almost) nothing while the other is up.
topo_cleanup
topo_setup omr "20mbit 5ms"
ip link add eth2 netns "$CLI" type veth peer name eth2 netns "$SRV"
ip -n "$CLI" addr add 10.0.2.1/24 dev eth2
ip -n "$SRV" addr add 10.0.2.2/24 dev eth2
path_shape 2 20mbit 5ms
ip -n "$CLI" rule add from 10.0.2.1 table 102
ip -n "$CLI" route add default via 10.0.2.2 dev eth2 table 102
ip -n "$CLI" mptcp endpoint add 10.0.2.1 dev eth2 subflow backup
NPATHS=2
xfer backup 8M up
rc=$?
share=$(xfer_share backup cli 2)
log "backup path share $share % ($(xfer_split backup cli | tr '\n' ' '))"
ktap_test_result "backup: the backup path carries <= 2 % while the regular one is up (has $share %)" \
	eval "[ $rc -eq 0 ] && xfer_intact backup && [ $(xfer_subflows backup cli) -eq 2 ] && [ $share -le 2 ]"

# The regular path dies mid-transfer: now, and only now, the backup carries.
xfer_start backup2
ip netns exec "$CLI" "$XFER" client -c "$VPS_IP:5201" -s 12M -d up -j -t 120 \
	>"$TMP/backup2.cli.json" 2>"$TMP/backup2.cli.err" &
cli=$!
sleep 2
path_down 1
wait $cli; rc=$?
wait "$XFER_SRV_PID" || rc=1
bshare=$(jq '[.subflows[] | select(.dev == "eth2") | .bytes_acked // 0] | add // 0' "$TMP/backup2.cli.json")
log "regular path down after 2 s: backup carried $bshare bytes"
ktap_test_result "backup: takes over when the regular path dies, byte-identical" \
	eval "[ $rc -eq 0 ] && xfer_intact backup2 && [ ${bshare:-0} -ge 1048576 ]"

ktap_finished
