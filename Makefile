# SPDX-License-Identifier: GPL-2.0
#
#   make               build omr.ko (against KDIR) and the userspace parts
#   make check         install what is needed, then run every test (host + VM)
#   make demo          boot the VM and show traffic spread over shaped links
#   make bench         benchmarks in the VM: scheduler (omr vs default), path
#                      manager (omr vs in-kernel), omr-shim's
#   make bench-pm      path manager benchmark only (docs/bench-pm.md)
#   make lint          checkpatch --strict, sparse, cppcheck, -Werror builds
#                      (scripts/lint.sh; KDIR= picks the headers for sparse)
#   make module KDIR=  build only the module, against KDIR
#
# KDIR defaults to the running kernel's build tree; the tests build against
# the Debian kernel that scripts/fetch-kernel.sh brought into .cache/.

KDIR ?= /lib/modules/$(shell uname -r)/build
KREL = $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)
GEN = kmod/.gen/$(KREL)
OUT ?= out

.PHONY: all module modules check demo bench bench-pm deps unit lint clean

all: module

module modules:
	@test -n "$(KREL)" || { echo "omr: KDIR=$(KDIR) is not a kernel build tree" >&2; exit 1; }
	scripts/prepare-ksrc.sh $(KDIR) $(GEN)
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules
	scripts/check-layout.sh omr.ko $(KDIR)
	mkdir -p $(OUT)/$(KREL) && cp omr.ko $(OUT)/$(KREL)/omr.ko

deps:
	scripts/deps.sh

check:
	selftests/run.sh

# Without KDIR on the command line, lint picks the newest 6.12 headers.
lint:
	scripts/lint.sh $(if $(filter command line,$(origin KDIR)),$(KDIR))

demo:
	selftests/demo.sh

bench:
	selftests/bench/run.sh
	$(MAKE) -C shim bench

bench-pm:
	BENCH_ONLY=pm selftests/bench/run.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
	rm -rf kmod/.gen $(OUT)
