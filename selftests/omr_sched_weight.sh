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

# weigh NAME PATH OP LIMIT WHAT: in both directions, the share of path PATH
# in the sender's bytes must satisfy "share OP LIMIT" (OP: -ge or -le).
weigh() {
	local name=$1 path=$2 op=$3 limit=$4 what=$5 dir side rc share
	for dir in up down; do
		side=cli
		[ $dir = down ] && side=srv
		xfer "$name-$dir" 16M $dir
		rc=$?
		share=$(xfer_share "$name-$dir" $side "$path")
		log "$what, $dir: eth$path carries $share % ($(xfer_split "$name-$dir" $side | tr '\n' ' '))"
		ktap_test_result "$what $dir: eth$path share $op $limit % (has $share %)" \
			eval "[ $rc -eq 0 ] && xfer_intact $name-$dir && [ $share $op $limit ]"
	done
}

topo_setup omr "40mbit 10ms" "10mbit 10ms"
weigh rate 1 -ge 65 "4:1 rates, fast path"

topo_setup omr "20mbit 10ms" "20mbit 10ms 5%"
weigh loss 2 -le 30 "5 % loss, lossy path"

# Backup: a backup subflow carries (almost) nothing while the other is up.
topo_setup omr "20mbit 5ms" "20mbit 5ms backup"
xfer backup 8M up
rc=$?
share=$(xfer_share backup cli 2)
log "backup path share $share % ($(xfer_split backup cli | tr '\n' ' '))"
ktap_test_result "backup: the backup path carries <= 2 % while the regular one is up (has $share %)" \
	eval "[ $rc -eq 0 ] && xfer_intact backup && [ $(xfer_subflows backup cli) -eq 2 ] && [ $share -le 2 ]"

# The regular path dies mid-transfer: now, and only now, the backup carries.
xfer_bg backup2 12M up
sleep 2
path_down 1
xfer_wait
rc=$?
bshare=$(jq '[.subflows[] | select(.dev == "eth2") | .bytes_acked // 0] | add // 0' "$TMP/backup2.cli.json")
log "regular path down after 2 s: backup carried $bshare bytes"
ktap_test_result "backup: takes over when the regular path dies, byte-identical" \
	eval "[ $rc -eq 0 ] && xfer_intact backup2 && [ ${bshare:-0} -ge 1048576 ]"

ktap_finished
