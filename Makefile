# The workbench: Wine 10.0 with the patch series in patches/, built in a
# Debian trixie root.  See README.md.

.PHONY: all build demo check bench fuzz soak coverage deb deb-checks deb-all patches check-series check-rebase staging check-staging check-wine shell clean

all: build demo

build:
	tools/root
	tools/tree dev
	tools/build

demo: build
	tests/run-demo

check:
	tools/check

bench: build
	tests/run-bench

fuzz: build
	tests/run-fuzz

# make soak [SOAK_S=SECONDS]: faults and scale (default 600 s; the short one: tests/run-soak 30)
soak: build
	tests/run-soak $(SOAK_S)

# make coverage: line and branch coverage of the series' server code by the
# units, the scenarios, the demo, a short fuzz and a short soak
coverage:
	tools/coverage

# make deb [SUITE=trixie|forky|sid]: the package for that Debian suite's Wine
# (default trixie); make deb-checks [SUITE=...]: it, proved in a scratch root
# of the suite; make deb-all: both for every suite, a line per suite at the end
SUITE = trixie

deb:
	PTN_SUITE=$(SUITE) tools/deb

deb-checks:
	PTN_SUITE=$(SUITE) tests/deb-checks

deb-all:
	tools/deb-all

patches:
	tools/export

check-series:
	tools/check-series

# make check-rebase WINE_SRC=DIR: the series applied to and built on the Wine
# git checkout DIR (cloned; DIR is not changed)
check-rebase:
	tools/check-rebase "$(WINE_SRC)"

# make staging [WINE_SRC=DIR] [STAGING_SRC=DIR]: the upstream patches as a
# Wine Staging patchset in build/staging/patches/ (rebased onto DIR if given)
staging:
	tools/staging "$(WINE_SRC)" "$(STAGING_SRC)"

# make check-staging WINE_SRC=DIR STAGING_SRC=DIR: that patchset applied by
# Staging's patchinstall.py to DIR (a Wine tree carrying Staging), built
check-staging:
	tools/check-staging "$(WINE_SRC)" "$(STAGING_SRC)"

# make check-wine WINE_SRC=DIR: DIR built whole without and with the series,
# and the tests run on it (not part of make check: hours)
check-wine:
	tools/check-wine "$(WINE_SRC)"

shell: build
	cd build/wine && ../../tools/inroot build --timeout 0 -- bash

clean:
	rm -rf build
