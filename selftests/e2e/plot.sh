#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Per-WAN throughput over time, as a PNG (gnuplot, on the host):
#   selftests/e2e/plot.sh RATES PNG TITLE [DOWN_S UP_S]
# RATES: lines "T_S MBPS_DSL MBPS_LTE MBPS_SAT" (e2e_rates of
# selftests/e2e/lib-e2e.sh); DOWN_S/UP_S: when a WAN went down and came
# back, drawn as vertical lines.
set -eu
rates=$1
png=$2
title=$3
down=${4:-}
up=${5:-}
command -v gnuplot >/dev/null || { echo "plot: gnuplot is not installed (scripts/deps.sh)" >&2; exit 1; }
marks=
if [ -n "$down" ] && [ -n "$up" ]; then
	marks="set arrow from $down, graph 0 to $down, graph 1 nohead lc rgb 'red' dt 2
set arrow from $up, graph 0 to $up, graph 1 nohead lc rgb 'dark-green' dt 2
set label 'LTE down' at $down, graph 0.95 offset 0.5,0 tc rgb 'red'
set label 'LTE back' at $up, graph 0.88 offset 0.5,0 tc rgb 'dark-green'"
fi
gnuplot <<EOF
set terminal pngcairo size 900,480 noenhanced
set output '$png'
set title '$title'
set xlabel 'time (s)'
set ylabel 'Mbit/s'
set key outside right top
set grid
$marks
plot '$rates' using 1:2 with lines lw 2 title 'DSL (eth1)', \
     '' using 1:3 with lines lw 2 title 'LTE (eth2)', \
     '' using 1:4 with lines lw 2 title 'Satellite (eth3)', \
     '' using 1:(\$2+\$3+\$4) with lines lw 2 lc rgb 'black' dt 3 title 'total'
EOF
