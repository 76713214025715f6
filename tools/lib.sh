# Shared by the tools: progress lines, errors, and where things live.
# Sourced, not run.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$TOP/build
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
