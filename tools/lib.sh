# Shared by the tools: progress lines, errors, and where things live.
# Sourced, not run.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$TOP/build
# The wineserver and DLLs the patched view binds over Debian's (tools/build
# puts them there); make check-series points PTN_PATCHED_FILES elsewhere.
PATCHED_FILES=${PTN_PATCHED_FILES:-$BUILD/patched-files}
# The root is shared between checkouts and kept outside them.
CACHE=${WINE_PTN_CACHE:-/var/cache/wine-ptn}
SUITE=trixie

die() { echo "error: $*" >&2; exit 1; }

need_root() { [ "$(id -u)" = 0 ] || die "needs root: $1"; }

# stage NAME: prints the start; stage_done prints the end with elapsed seconds.
stage() { STAGE_NAME=$1; STAGE_T0=$(date +%s); echo "==> $STAGE_NAME ..."; }
stage_done() { echo "==> $STAGE_NAME done (${1:+$1, }$(( $(date +%s) - STAGE_T0 )) s)"; }

# The root's key: its suite and package list.
root_key() { { echo "$SUITE"; grep -v '^#' "$TOP/tools/packages"; } | sha256sum | cut -c1-16; }
root_dir() { echo "$CACHE/root-$(root_key)"; }
# A view's writable layer over the root is kept per root: a layer (and the
# Wine prefix in it) made over another root is not reused.
view_dir() { echo "$BUILD/views/$1-$(root_key)"; }

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

# Wine's per-process summary lines, summed: executed todo failures.
wine_counts() {
    sed -n 's/^[0-9a-f]*:[^ ]* \([0-9]*\) tests executed (\([0-9]*\) marked as todo, [0-9]* as flaky, \([0-9]*\) failures\{0,1\}).*/\1 \2 \3/p' "$1" |
        awk '{ e += $1; t += $2; f += $3; n++ } END { print e + 0, t + 0, f + 0, n + 0 }'
}

# net_units CMD...: runs CMD holding the lock of the tests that use fixed
# loopback ports (Wine's ws2_32 units): every run shares the host's network,
# and two at once fail to bind and then wait until their time limit.
net_units() { mkdir -p "$CACHE"; flock "$CACHE/net-units.lock" "$@"; }
