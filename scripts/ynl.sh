#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The YNL spec of the "omr" family (uapi/omr.yaml) and what is made of it,
# with the kernel's own YNL tools (tools/net/ynl of Debian's linux-source-6.12,
# unpacked at run time into .cache/ynl/; nothing of the kernel is kept in the
# project).
#
#   scripts/ynl.sh tools        print the directory of tools/net/ynl (unpack once)
#   scripts/ynl.sh gen          regenerate uapi/linux/omr.h from the spec
#   scripts/ynl.sh check        KTAP: the spec validates against the YNL schema,
#                               uapi/linux/omr.h is what the spec generates, and
#                               the documents that quote a range quote the spec's
#
# uapi/linux/omr.h is ynl-gen-c.py --mode uapi --header output with one
# block inserted after its banner: the family's documentation (the comment
# that opens "/*" on line 5 and ends at the first " */"). `gen` keeps that
# block and replaces everything else; `check` removes it and compares the
# rest byte for byte with the generator's output.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=$top/.cache/ynl
spec=$top/uapi/omr.yaml
hdr=$top/uapi/linux/omr.h

# The ynl tools and the netlink schemas of Debian's linux-source-6.12.
ynl_tools() {
	local d=$cache/6.12 deb
	if [ ! -f "$d/.done" ]; then
		deb=$(ls "$top"/.cache/debs/linux-source-6.12_*.deb 2>/dev/null | sort -V | tail -n 1)
		[ -n "$deb" ] || { echo "ynl: no .cache/debs/linux-source-6.12_*.deb (scripts/fetch-kernel.sh)" >&2; return 1; }
		rm -rf "$d" && mkdir -p "$d"
		dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-6.12.tar.xz |
			tar -xJ -C "$d" --strip-components=1 \
				linux-source-6.12/tools/net/ynl linux-source-6.12/Documentation/netlink
		basename "$deb" >"$d/.done"
	fi
	echo "$d"
}

# ynl-gen-c.py finds "the kernel tree" by a MAINTAINERS file above the spec
# and the schema in the spec's parent directory: a scratch tree with both.
gen_uapi() {
	local k w
	k=$(ynl_tools)
	w=$(mktemp -d)
	mkdir -p "$w/uapi" && touch "$w/MAINTAINERS"
	ln -s "$k/Documentation/netlink/genetlink-legacy.yaml" "$w/"
	ln -s "$spec" "$w/uapi/omr.yaml"
	python3 "$k/tools/net/ynl/ynl-gen-c.py" --mode uapi --header --spec "$w/uapi/omr.yaml"
	rm -rf "$w"
}

# The header without its documentation block (lines 5.. first " */").
strip_doc() {
	awk 'NR == 5 && $0 == "/*" { skip = 1 } !skip { print } skip && $0 == " */" { skip = 0 }' "$1"
}

# The documentation block alone.
doc_block() {
	awk 'NR == 5 && $0 == "/*" { on = 1 } on { print } on && $0 == " */" { exit }' "$1"
}

cmd_gen() {
	local g doc
	g=$(mktemp)
	gen_uapi >"$g"
	doc=$(mktemp)
	doc_block "$hdr" >"$doc"
	{ head -n 4 "$g"; cat "$doc"; tail -n +5 "$g"; } >"$hdr.new"
	mv "$hdr.new" "$hdr"
	rm -f "$g" "$doc"
}

cmd_check() {
	local k g n=0 fail=0
	k=$(ynl_tools)
	g=$(mktemp)
	echo "KTAP version 1"
	echo "1..3"
	if python3 -c 'import sys, yaml, jsonschema
spec = yaml.safe_load(open(sys.argv[1]))
schema = yaml.safe_load(open(sys.argv[2]))
jsonschema.validate(spec, schema)' "$spec" "$k/Documentation/netlink/genetlink-legacy.yaml" 2>"$g"; then
		echo "ok $((++n)) ynl: uapi/omr.yaml validates against genetlink-legacy.yaml"
	else
		sed 's/^/# /' "$g" | tail -n 5
		echo "not ok $((++n)) ynl: uapi/omr.yaml validates against genetlink-legacy.yaml"
		fail=1
	fi
	if gen_uapi >"$g" 2>"$g.err" && diff -u "$g" <(strip_doc "$hdr") >"$g.diff"; then
		echo "ok $((++n)) ynl: uapi/linux/omr.h is ynl-gen-c.py --mode uapi output (+ its doc block)"
	else
		cat "$g.err" "$g.diff" | head -n 40 | sed 's/^/# /'
		echo "# regenerate: scripts/ynl.sh gen"
		echo "not ok $((++n)) ynl: uapi/linux/omr.h is ynl-gen-c.py --mode uapi output (+ its doc block)"
		fail=1
	fi
	if python3 - "$spec" "$top" >"$g" 2>&1 <<-'EOF'
		import sys, yaml
		spec, top = yaml.safe_load(open(sys.argv[1])), sys.argv[2]
		c = {d['name']: d['value'] for d in spec['definitions'] if d['type'] == 'const'}
		# (document, how it writes MIN..MAX, range names)
		sched = ['sched-loss-penalty', 'sched-loss-gain', 'sched-rtt-unknown-us', 'sched-burst']
		pm = ['pm-' + n for n in ('tick-ms', 'stall-ms', 'loss-hi', 'loss-lo')]
		docs = [('docs/scheduler.md', '{}\u2013{}', sched), ('README.md', '{}\u2013{}', sched),
			('docs/omrctl.8', '{}\\(en{}', sched + pm)]
		bad = 0
		for f, fmt, names in docs:
		    text = open(f'{top}/{f}').read()
		    for n in names:
		        r = fmt.format(c[n + '-min'], c[n + '-max'])
		        if r not in text:
		            print(f'{f}: no "{r}" (the range of {n})')
		            bad = 1
		sys.exit(bad)
		EOF
	then
		echo "ok $((++n)) ynl: docs/scheduler.md, README.md and docs/omrctl.8 quote the spec's ranges"
	else
		sed 's/^/# /' "$g"
		echo "not ok $((++n)) ynl: docs/scheduler.md, README.md and docs/omrctl.8 quote the spec's ranges"
		fail=1
	fi
	rm -f "$g" "$g.err" "$g.diff"
	return $fail
}

case "${1:-}" in
tools) ynl_tools ;;
gen) cmd_gen ;;
check) cmd_check ;;
*) echo "usage: scripts/ynl.sh tools|gen|check" >&2; exit 2 ;;
esac
