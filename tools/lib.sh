# Shared by the tools: progress lines, errors, and where things live.
# Sourced, not run.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() { echo "error: $*" >&2; exit 1; }

# The Debian suites served, each with Wine 10.0 as binaries and source:
# trixie (stable, 10.0~repack-6), forky (testing) and sid (unstable).
# PTN_SUITE picks one ('make deb SUITE=...' sets it); the default, trixie,
# is what every other target uses.  Each suite has its own root; trixie's
# work stays in build/, another suite's in build/suites/SUITE/.
SUITES="trixie forky sid"
SUITE=${PTN_SUITE:-trixie}
case " $SUITES " in *" $SUITE "*) ;; *) die "unknown suite '$SUITE': the suites served are $SUITES";; esac
if [ "$SUITE" = trixie ]; then BUILD=$TOP/build; else BUILD=$TOP/build/suites/$SUITE; fi
# The wineserver and DLLs the patched view binds over Debian's (tools/build
# puts them there); make check-series points PTN_PATCHED_FILES elsewhere.
PATCHED_FILES=${PTN_PATCHED_FILES:-$BUILD/patched-files}
# The root is shared between checkouts and kept outside them.
CACHE=${WINE_PTN_CACHE:-/var/cache/wine-ptn}

need_root() { [ "$(id -u)" = 0 ] || die "needs root: $1"; }

# stage NAME: prints the start; stage_done prints the end with elapsed seconds.
stage() { STAGE_NAME=$1; STAGE_T0=$(date +%s); echo "==> $STAGE_NAME ..."; }
stage_done() { echo "==> $STAGE_NAME done (${1:+$1, }$(( $(date +%s) - STAGE_T0 )) s)"; }

# The packages of this suite's root (tools/packages: 'NAME -SUITE...' is
# left out of SUITE's root), one per line.
suite_packages() {
    awk -v s="-$SUITE" '!/^#/ && NF { for (i = 2; i <= NF; i++) if ($i == s) next; print $1 }' "$TOP/tools/packages"
}
# The root's key: its suite and package list.
root_key() { { echo "$SUITE"; suite_packages; } | sha256sum | cut -c1-16; }
# What name resolution inside the root depends on (tools/inroot binds the
# host's /etc/hosts): a key part of cached Wine unit results.
hosts_key() { { hostname; cat /etc/hosts 2>/dev/null; } | sha256sum | cut -c1-16; }
root_dir() { echo "$CACHE/root-$(root_key)"; }
# A view's writable layer over the root is kept per root: a layer (and the
# Wine prefix in it) made over another root is not reused.
view_dir() { echo "$BUILD/views/$1-$(root_key)"; }

# Where Debian's Wine has its programs in a root (default: this suite's).
# trixie's (10.0~repack-6): a 64-bit Wine in /usr/lib/wine and a 32-bit one
# beside it (wine32:i386, its DLLs in /usr/lib/i386-linux-gnu); sid's
# (10.0~repack-12): a WoW64 Wine in /usr/lib/x86_64-linux-gnu/wine whose one
# loader runs 32-bit programs too, its i386 PE DLLs in libwine (amd64).
# wine_layout [ROOT] sets WINE_LOADER64, WINE_LOADER32 (empty: no 32-bit
# Wine), WINE_SERVER (the wineserver binary), WINE_DLLS_x86_64,
# WINE_DLLS_i386 (empty: none) and WINE_WOW64 (1 or 0); it fails if the
# root has neither.
wine_layout() {
    local r=${1:-$(root_dir)} l=/usr/lib/x86_64-linux-gnu/wine
    WINE_DLLS_x86_64=$l/x86_64-windows
    if [ -x "$r/usr/lib/wine/wine64" ]; then
        WINE_WOW64=0 WINE_LOADER64=/usr/lib/wine/wine64 WINE_SERVER=/usr/lib/wine/wineserver64
        WINE_LOADER32= WINE_DLLS_i386=
        if [ -x "$r/usr/lib/wine/wine" ] && [ -d "$r/usr/lib/i386-linux-gnu/wine/i386-windows" ]; then
            WINE_LOADER32=/usr/lib/wine/wine WINE_DLLS_i386=/usr/lib/i386-linux-gnu/wine/i386-windows
        fi
    elif [ -x "$r$l/wine" ] && [ -x "$r$l/wineserver" ]; then
        WINE_WOW64=1 WINE_LOADER64=$l/wine WINE_LOADER32=$l/wine WINE_SERVER=$l/wineserver
        WINE_DLLS_i386=$l/i386-windows
        [ -d "$r$WINE_DLLS_i386" ] || WINE_LOADER32= WINE_DLLS_i386=
    else
        return 1
    fi
}

# Can this host run 32-bit (i386) programs?  Debian's 32-bit Wine needs a
# kernel with IA-32 emulation; some kernels and hypervisors switch it off
# (ia32_emulation=off), and then every i386 ELF fails with 'Exec format
# error'.  i386_check sets I386_OK (1 or 0) and, when 0, I386_WHY.
# PTN_I386: unset (run what the host can, skip the rest), 'skip' (skip as
# if the host could not), 'require' (a host that cannot is a failure: the
# 32-bit runs go ahead and fail).  The probe runs a 95-byte static i386 ELF,
# written here (it makes the exit(42) system call), once per run: its answer
# is kept in PTN_I386_PROBED for the scripts this one starts.
I386_NO_KERNEL="this host's kernel runs no 32-bit programs (IA-32 emulation is off)"
i386_probe() {
    local elf rc=0
    mkdir -p "$BUILD"
    elf=$(mktemp "$BUILD/.i386-probe.XXXXXX")
    # ELF header (52 bytes), one PT_LOAD program header at 0x08048000 (32
    # bytes), code at 0x08048054: mov eax,1; xor ebx,ebx; mov bl,42; int 0x80
    printf '\177ELF\1\1\1\0\0\0\0\0\0\0\0\0\2\0\3\0\1\0\0\0\124\200\4\10\64\0\0\0\0\0\0\0\0\0\0\0\64\0\40\0\1\0\0\0\0\0\0\0' > "$elf"
    printf '\1\0\0\0\0\0\0\0\0\200\4\10\0\200\4\10\137\0\0\0\137\0\0\0\5\0\0\0\0\20\0\0' >> "$elf"
    printf '\270\1\0\0\0\61\333\263\52\315\200' >> "$elf"
    chmod +x "$elf"
    timeout 10 "$elf" 2>/dev/null || rc=$?
    rm -f "$elf"
    [ $rc = 42 ] && echo yes || echo no
}
i386_check() {
    case ${PTN_I386:-} in ''|skip|require) ;; *) die "PTN_I386 wants 'skip' or 'require', not '$PTN_I386'";; esac
    if [ -z "${PTN_I386_PROBED:-}" ]; then
        PTN_I386_PROBED=$(i386_probe)
        export PTN_I386_PROBED
    fi
    I386_OK=0 I386_WHY=
    if [ "${PTN_I386:-}" = skip ]; then
        I386_WHY="PTN_I386=skip"
    elif [ "$PTN_I386_PROBED" = yes ] || [ "${PTN_I386:-}" = require ]; then
        I386_OK=1
    else
        I386_WHY=$I386_NO_KERNEL
    fi
}
# i386_line: one line saying what this run does with 32-bit programs.
i386_line() {
    i386_check
    if [ "$PTN_I386_PROBED" = yes ] && [ "${PTN_I386:-}" != skip ]; then
        echo "==> 32-bit programs: this host runs them: the 32-bit runs happen"
    elif [ "${PTN_I386:-}" = skip ]; then
        echo "==> 32-bit programs: PTN_I386=skip: the 32-bit runs are skipped (built, not run)"
    elif [ "${PTN_I386:-}" = require ]; then
        echo "==> 32-bit programs: $I386_NO_KERNEL; PTN_I386=require: the 32-bit runs go ahead and fail"
    else
        echo "==> 32-bit programs: $I386_NO_KERNEL: the 32-bit runs are skipped (built, not run); PTN_I386=require makes that a failure"
    fi
}

# Wine's per-process summary lines, summed: executed todo failures
# summaries.  A run that printed none (it stopped early) has its failure
# lines counted as its failures.
wine_counts() {
    local e t f n
    read -r e t f n < <(sed -n 's/^[0-9a-f]*:[^ ]* \([0-9]*\) tests executed (\([0-9]*\) marked as todo, [0-9]* as flaky, \([0-9]*\) failures\{0,1\}).*/\1 \2 \3/p' "$1" |
        awk '{ e += $1; t += $2; f += $3; n++ } END { print e + 0, t + 0, f + 0, n + 0 }')
    [ "$n" != 0 ] || f=$(grep -acE 'Test failed: |Test succeeded inside todo block: ' "$1" || true)
    echo "$e $t $f $n"
}

# The failure messages of a Wine test run, without what moves between runs
# (line numbers, numbers), one of each: what the units are compared by.
failures() {
    grep -aE 'Test failed: |Test succeeded inside todo block: ' "$1" |
        sed -E 's/^([A-Za-z0-9_.]+):[0-9]+:/\1:/; s/0x[0-9a-fA-F]+/N/g; s/[0-9]+/N/g' | sort -u
}

# net_units CMD...: runs CMD holding the lock of the tests that use fixed
# loopback ports (Wine's ws2_32 units): every run shares the host's network,
# and two at once fail to bind and then wait until their time limit.
net_units() { mkdir -p "$CACHE"; flock "$CACHE/net-units.lock" "$@"; }
