# SPDX-License-Identifier: GPL-2.0
#
#   make               build omr.ko (against KDIR) and omrctl (ctl/)
#   make check         install what is needed, then run every test (host + VM)
#   make demo          boot the VM: a LAN client through SOCKS5, omr-shim and
#                      MPTCP over three shaped WANs; a failover plot in out/
#   make bench         benchmarks in the VM: scheduler (omr vs default), path
#                      manager (omr vs in-kernel), omr-shim's
#   make bench-pm      path manager benchmark only (docs/bench-pm.md)
#   make bench-e2e     end-to-end benchmark only: omr-shim over omr vs the
#                      default scheduler, one WAN, ssh -D, shadowsocks-libev
#                      (docs/benchmarks.md)
#   make bench-cc      cubic against BBR on the lossy radio paths, end to
#                      end at half the WAN rates (docs/bench-cc.md)
#   make bench-ceiling the VM's own ceiling: unshaped WANs, MPTCP with and
#                      without omr-shim + AEAD, with the guest's CPU use
#   make lint          checkpatch --strict, sparse, cppcheck, -Werror builds
#                      (scripts/lint.sh; KDIR= picks the headers for sparse)
#   make module KDIR=  build only the module, against KDIR
#   make ctl           build only omrctl (ctl/; needs libnl-genl-3-dev, libkmod-dev)
#   make install       omr-shim (binary, man page, systemd units, config
#                      examples), omrctl (PREFIX/sbin, man page, bash
#                      completion) and the module's DKMS source tree in
#                      /usr/src/omr-VERSION; DESTDIR and PREFIX honoured
#   make uninstall     removes exactly that (dkms remove omr/VERSION first)
#   make deb           the Debian packages omr-dkms, omrctl and omr-shim
#                      (dpkg-buildpackage -us -uc -b on a copy of the tree)
#                      into out/deb/; needs debhelper, dh-dkms and the
#                      Build-Depends of debian/control
#
# KDIR defaults to the running kernel's build tree; the tests build against
# the Debian kernel that scripts/fetch-kernel.sh brought into .cache/.

KDIR ?= /lib/modules/$(shell uname -r)/build
KREL = $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)
GEN = kmod/.gen/$(KREL)
OUT ?= out

.PHONY: all ctl module modules check demo bench bench-pm bench-e2e bench-cc bench-ceiling deps unit lint clean \
	install uninstall install-dkms uninstall-dkms deb

all: module ctl

ctl:
	$(MAKE) -C ctl

module modules:
	@test -n "$(KREL)" || { echo "omr: KDIR=$(KDIR) is not a kernel build tree" >&2; exit 1; }
	scripts/prepare-ksrc.sh $(KDIR) $(GEN)
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules
	scripts/check-layout.sh omr.ko $(KDIR) $(GEN)
	mkdir -p $(OUT)/$(KREL) && cp omr.ko $(OUT)/$(KREL)/omr.ko

deps:
	scripts/deps.sh

check:
	selftests/run.sh

# Without KDIR on the command line, lint picks the newest 6.12 headers.
lint:
	scripts/lint.sh $(if $(filter command line,$(origin KDIR)),$(KDIR))

# Installation. PREFIX and DESTDIR go to shim/Makefile (omr-shim, its man
# page, systemd units, config examples under /etc/omr-shim). The DKMS
# source tree goes to /usr/src whatever PREFIX is: that is where dkms looks
# (DKMS_SRC overrides). It holds what `make module` needs and nothing else;
# OMR_VERSION (default: dkms.conf's) names it and is written into its dkms.conf.
# No modules-load.d file: loading is left to the admin (or omrctl, later).
PREFIX ?= /usr/local
DESTDIR ?=
DKMS_SRC ?= /usr/src
OMR_VERSION ?= $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
DKMS_DIR = $(DESTDIR)$(DKMS_SRC)/omr-$(OMR_VERSION)
DKMS_SCRIPTS = scripts/prepare-ksrc.sh scripts/check-layout.sh

install: install-dkms
	$(MAKE) -C shim install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	$(MAKE) -C ctl install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

uninstall: uninstall-dkms
	$(MAKE) -C shim uninstall PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	$(MAKE) -C ctl uninstall PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

install-dkms:
	@test -n "$(OMR_VERSION)" || { echo "omr: no PACKAGE_VERSION in dkms.conf" >&2; exit 1; }
	install -d $(DKMS_DIR)/kmod $(DKMS_DIR)/scripts $(DKMS_DIR)/uapi/linux
	install -m 0644 Kbuild Makefile $(DKMS_DIR)/
	sed 's/^PACKAGE_VERSION=.*/PACKAGE_VERSION="$(OMR_VERSION)"/' dkms.conf >$(DKMS_DIR)/dkms.conf
	chmod 0644 $(DKMS_DIR)/dkms.conf
	install -m 0644 $(wildcard kmod/*.c kmod/*.h) $(DKMS_DIR)/kmod/
	install -m 0644 $(wildcard uapi/linux/*.h) $(DKMS_DIR)/uapi/linux/
	install -m 0755 $(DKMS_SCRIPTS) $(DKMS_DIR)/scripts/

# Also what a DKMS build left in the tree (kmod/.gen, objects), but only in
# a tree that is ours: one with our dkms.conf.
uninstall-dkms:
	@if [ -f $(DKMS_DIR)/dkms.conf ] && grep -q '^PACKAGE_NAME="omr"' $(DKMS_DIR)/dkms.conf; then \
		echo "rm -rf $(DKMS_DIR)"; rm -rf $(DKMS_DIR); \
	fi
	@if [ -z "$(DESTDIR)" ] && [ -d /var/lib/dkms/omr/$(OMR_VERSION) ]; then \
		echo "omr: omr/$(OMR_VERSION) is still registered with DKMS: dkms remove omr/$(OMR_VERSION) --all" >&2; \
	fi

# Built in a copy (the checkout's files, tracked or not, but not ignored
# ones), so that dpkg-buildpackage's output, one level up, lands in out/deb/.
deb:
	rm -rf $(OUT)/deb && mkdir -p $(OUT)/deb/omr
	git ls-files -z --cached --others --exclude-standard | \
		xargs -0 cp -P --parents -t $(OUT)/deb/omr
	cd $(OUT)/deb/omr && dpkg-buildpackage -us -uc -b
	rm -rf $(OUT)/deb/omr
	ls $(OUT)/deb/*.deb

demo:
	selftests/demo.sh

bench:
	selftests/bench/run.sh
	$(MAKE) -C shim bench

bench-pm:
	BENCH_ONLY=pm selftests/bench/run.sh

bench-e2e:
	BENCH_ONLY=e2e selftests/bench/run.sh

bench-cc:
	BENCH_ONLY=cc selftests/bench/run.sh

bench-ceiling:
	BENCH_ONLY=ceiling selftests/bench/run.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
	$(MAKE) -C ctl clean
	rm -rf kmod/.gen $(OUT)
