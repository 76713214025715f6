# Shared by the tools that take another Wine git tree (WINE_SRC=DIR):
# check-rebase, check-staging, check-wine and staging.  Sourced after
# lib.sh, not run.  The caller sets TOOL (its name, for messages), WORK
# (its directory under build/), W (the clone of DIR, under WORK) and LOG.
#   src_open DIR          DIR checked as a Wine git checkout: SRC, SRC_HEAD, VERSION
#   guard LABEL DIR HEAD  DIR's HEAD and 'git status' compared at exit
#   clone_at SRC REV DEST LOGFILE
#                         a clone of SRC at REV; blobs its repository lacks
#                         become empty placeholders, one commit in the clone
#   series_read           the series committed in HEAD: SERIES, LEFT_OUT
#   series_apply          SERIES applied to W one at a time, reported
#   build_touched BASE    what the series (BASE..HEAD in W) touches, built in
#                         the root, its warnings checked

MARKER="NOT FOR UPSTREAM"
JOBS=${JOBS:-$(nproc)}

# git_top VAR DIR LABEL: DIR, resolved, must be the top of a git checkout
# with a commit checked out; VAR_HEAD is that commit.
git_top() {
    local var=$1 dir=$2 label=$3 top head
    [ -n "$dir" ] || die "no $label given"
    [ -e "$dir" ] || die "$label=$dir does not exist"
    [ -d "$dir" ] || die "$label=$dir is not a directory"
    dir=$(cd "$dir" && pwd -P)
    top=$(timeout 60 git -C "$dir" rev-parse --show-toplevel 2>/dev/null) ||
        die "$label=$dir is not a git checkout"
    [ "$top" = "$dir" ] || die "$label=$dir is inside the git tree $top: give its top"
    case "$dir/" in "$WORK"/*) die "$label=$dir is $TOOL's own work tree: give a checkout of yours";; esac
    case "$WORK/" in "$dir"/*) die "$label=$dir contains this workbench ($TOP)";; esac
    head=$(timeout 60 git -C "$dir" rev-parse -q --verify 'HEAD^{commit}' 2>/dev/null) ||
        die "$label=$dir has no commit checked out (no HEAD)"
    printf -v "$var" '%s' "$dir"
    printf -v "${var}_HEAD" '%s' "$head"
}

# src_open DIR: DIR must be a Wine git checkout (WINE_SRC).
src_open() {
    git_top SRC "$1" WINE_SRC
    local f
    for f in VERSION configure.ac tools/make_makefiles server/sock.c dlls/ws2_32/Makefile.in; do
        timeout 60 git -C "$SRC" cat-file -e "HEAD:$f" 2>/dev/null ||
            die "WINE_SRC=$SRC is not a Wine git tree: its HEAD has no $f"
    done
    VERSION=$(timeout 60 git -C "$SRC" show HEAD:VERSION | sed -n 's/^Wine version //p' | head -n 1)
    [ -n "$VERSION" ] || die "WINE_SRC=$SRC is not a Wine git tree: its VERSION does not say 'Wine version …'"
}

# What a given DIR is now, compared at the end (on success and failure
# alike).  GIT_OPTIONAL_LOCKS=0: 'git status' must not even refresh DIR's index.
GUARD_LABELS=() GUARD_DIRS=() GUARD_HEADS=() GUARD_STATES=()
dir_state() {
    GIT_OPTIONAL_LOCKS=0 timeout 600 git -C "$1" status --porcelain --untracked-files=all 2>&1 | sha256sum | cut -c1-16
}
guard() {
    local dirty
    GUARD_LABELS+=("$1") GUARD_DIRS+=("$2") GUARD_HEADS+=("$3") GUARD_STATES+=("$(dir_state "$2")")
    dirty=$(GIT_OPTIONAL_LOCKS=0 timeout 600 git -C "$2" status --porcelain --untracked-files=no | wc -l)
    [ "$dirty" = 0 ] ||
        echo "    note: $2 has $dirty uncommitted changes: they are not used ($TOOL takes its HEAD commit)"
    trap guards_check EXIT
}
guards_check() {
    local rc=$? i head state
    trap - EXIT
    for i in "${!GUARD_DIRS[@]}"; do
        head=$(timeout 60 git -C "${GUARD_DIRS[$i]}" rev-parse -q --verify HEAD 2>/dev/null || echo none)
        state=$(dir_state "${GUARD_DIRS[$i]}")
        if [ "$head" = "${GUARD_HEADS[$i]}" ] && [ "$state" = "${GUARD_STATES[$i]}" ]; then
            echo "==> ${GUARD_LABELS[$i]} unchanged: ${GUARD_DIRS[$i]} at HEAD ${head:0:12}, 'git status --porcelain' as at the start"
        else
            echo "error: ${GUARD_LABELS[$i]}=${GUARD_DIRS[$i]} changed during the run: HEAD ${GUARD_HEADS[$i]:0:12} -> ${head:0:12}, status ${GUARD_STATES[$i]} -> $state" >&2
            rc=1
        fi
    done
    echo "==> $TOOL: $(( $(date +%s) - T0 )) s; logs in ${LOG#$TOP/}"
    exit $rc
}

# clone_at SRC REV DEST LOGFILE: DEST, a clone of SRC with REV checked out
# (detached).  A public snapshot may lack the content of some files (large
# blobs left out): each becomes an empty file, in one commit of the clone's
# own ('placeholders'), named in PLACEHOLDERS; CLONE_BASE is the commit
# checked out (REV, or that commit).
clone_at() {
    local src=$1 rev=$2 dest=$3 log=$4 missing empty
    PLACEHOLDERS= CLONE_BASE=$rev
    rm -rf "$dest"
    timeout 1800 git clone -q --no-checkout "$src" "$dest" > "$log" 2>&1 ||
        { tail -n 5 "$log" >&2; die "cannot clone $src: see ${log#$TOP/}"; }
    git -C "$dest" config user.name "${GIT_AUTHOR_NAME:-Wine secure sockets project}"
    git -C "$dest" config user.email "${GIT_AUTHOR_EMAIL:-wine-secure-sockets@localhost}"
    missing=$(timeout 600 git -C "$dest" ls-tree -r "$rev" | awk '$2 == "blob" { print $3 }' |
        timeout 600 git -C "$dest" cat-file --batch-check 2>/dev/null | awk '$2 == "missing" { print $1 }')
    if [ -n "$missing" ]; then
        PLACEHOLDERS=$(timeout 600 git -C "$dest" ls-tree -r "$rev" |
            awk -v m="$(echo $missing)" 'BEGIN { n = split(m, a, " "); for (i = 1; i <= n; i++) miss[a[i]] = 1 }
                $2 == "blob" && ($3 in miss) { sub(/^[^\t]*\t/, ""); print }' | paste -sd' ' -)
        empty=$(git -C "$dest" hash-object -w /dev/null)
        { timeout 600 git -C "$dest" read-tree "$rev" &&
          for f in $PLACEHOLDERS; do git -C "$dest" update-index --cacheinfo "100644,$empty,$f" || exit 1; done &&
          CLONE_BASE=$(git -C "$dest" commit-tree "$(git -C "$dest" write-tree)" -p "$rev" \
              -m "placeholders: empty files for the blobs this repository lacks") &&
          echo "$CLONE_BASE" > "$dest/.git/ptn-base"; } >> "$log" 2>&1 ||
            { tail -n 5 "$log" >&2; die "cannot make placeholders in the clone of $src: see ${log#$TOP/}"; }
        CLONE_BASE=$(cat "$dest/.git/ptn-base")
    fi
    timeout 1800 git -C "$dest" checkout -q -f --detach "$CLONE_BASE" >> "$log" 2>&1 ||
        { tail -n 5 "$log" >&2; die "cannot check out $src at ${rev:0:12}: see ${log#$TOP/}"; }
}
# placeholder_note: one line naming them, if any.
placeholder_note() {
    [ -z "$PLACEHOLDERS" ] ||
        echo "    note: the repository lacks the content of $(echo $PLACEHOLDERS | wc -w) files: empty placeholders in the clone: $PLACEHOLDERS"
}

# inroot_step NAME LIMIT LOGFILE COMMAND: one step in the root, in W, named
# on failure.
inroot_step() {
    local name=$1 limit=$2 out=$3
    shift 3
    mkdir -p "$BUILD/views"
    flock -n -s "$(view_dir build).lock" true 2>/dev/null ||
        echo "    (waiting for the root's build view: another tools/inroot build run holds it)"
    nice -n "${PTN_NICE:-10}" "$TOP/tools/inroot" build --ephemeral --timeout "$limit" --name "$TOOL: $name" -- \
        sh -ec "cd '$W' && $*" > "$out" 2>&1
}
# build_errors LOGFILE: the compiler's errors and make's failed targets.
build_errors() {
    { grep -E ': (fatal )?error: |undefined reference|No rule to make target' "$1" | sort -u | head -n 20
      sed -n 's/^make.*\*\*\* \[[^]]*: \(.*\)\] Error [0-9]*$/    failed target: \1/p' "$1" | sort -u | head -n 10; } >&2
}

# --- the series ------------------------------------------------------------
# series_read [all]: the series committed in HEAD (patches/, as 'git archive
# HEAD' has it) in WORK/patches; SERIES the patches, LEFT_OUT those whose
# message says NOT FOR UPSTREAM (the project's test aid), or none with 'all'
# (check-wine: our tests read the server through the test aid).
series_read() {
    local committed=$WORK/patches p
    rm -rf "$committed"
    mkdir -p "$committed"
    git -C "$TOP" archive HEAD patches | tar -x -C "$committed" --strip-components=1 2>/dev/null || true
    SERIES=() LEFT_OUT=()
    for p in "$committed"/*.patch; do
        [ -e "$p" ] || continue
        # the message: the mail's header and body, up to the diffstat's '---'
        if [ "${1:-}" != all ] && sed '/^---$/q' "$p" | grep -qi "$MARKER"; then LEFT_OUT+=("$p"); else SERIES+=("$p"); fi
    done
    [ ${#SERIES[@]} -gt 0 ] || die "no patches in HEAD's patches/ (or every one says $MARKER)"
}

# subject PATCH: its subject, unfolded, without '[PATCH …]'.
subject() {
    awk '/^Subject: / { s = $0; sub(/^Subject: (\[PATCH[^]]*\] )?/, "", s)
                        while ((getline l) > 0 && l ~ /^[ \t]/) { sub(/^[ \t]+/, " ", l); s = s l }
                        print s; exit }' "$1"
}
num() { basename "$1" | cut -d- -f1; }
# failed_files [LOG]: the files 'git apply' or 'git am -3' names as not
# applying (from stdin without LOG).
failed_files() {
    sed -n -e 's/^error: patch failed: \(.*\):[0-9][0-9]*$/\1/p' \
        -e 's/^error: \(.*\): \(patch does not apply\|does not exist in index\|already exists in working directory\|already exists in index\|No such file or directory\)$/\1/p' \
        -e 's/^CONFLICT ([^)]*): .* in \(.*\)$/\1/p' "${1:--}" | sort -u | paste -sd' ' -
}
am_abort() { timeout 120 git -C "$W" am --abort > /dev/null 2>&1 || true; }

# exact PATCH LOG [OPTION...]: does 'git apply' take it as it is?  OFF: the
# files whose hunks it finds at an offset ('Hunk #N succeeded at L (offset
# K lines).' after 'Checking patch FILE...').
exact() {
    local p=$1 log=$2
    shift 2
    timeout 300 git -C "$W" apply --check -v "$@" "$p" > "$log" 2>&1 || return 1
    OFF=$(awk '/^Checking patch / { f = substr($0, 16); sub(/\.\.\.$/, "", f) }
               /^Hunk #[0-9]+ succeeded at .*offset/ { print f }' "$log" | sort -u | paste -sd' ' -)
}

# am PATCH LOGBASE FILES [OPTION...]: 'git am -3' (FILES: those 'git apply'
# refused); when no 3-way merge can run (DIR's history lacks the blobs the
# patch names), what patch(1) does by default: the context cut to one line
# ('git am -C1').  Sets HOW, or CONFLICT_FILES and returns 1, the am aborted.
am() {
    local p=$1 log=$2 files=$3 why
    shift 3
    if timeout 600 git -C "$W" am -q -3 --keep-cr "$@" "$p" > "$log.am" 2>&1; then
        HOW="3-way merge in $files"
        return 0
    fi
    am_abort
    if grep -q '^CONFLICT' "$log.am"; then
        CONFLICT_FILES=$(failed_files "$log.am")
        return 1
    fi
    why=$(grep -m1 -o 'sha1 information is lacking or useless\|could not build fake ancestor' "$log.am" || echo "it failed")
    if timeout 600 git -C "$W" am -q -C1 --keep-cr "$@" "$p" > "$log.am-C1" 2>&1; then
        HOW="context reduced to 1 line in $files (no 3-way merge: $why)"
        return 0
    fi
    am_abort
    CONFLICT_FILES=$(failed_files "$log.am-C1")
    CONFLICT_FILES=${CONFLICT_FILES:-$files}
    return 1
}

# makefile_lines PATCH: the lines its configure.ac hunks add, if they add
# only WINE_CONFIG_MAKEFILE lines and remove none (else nothing).
makefile_lines() {
    awk '/^diff --git / { in_ac = ($3 == "a/configure.ac"); next }
         /^-- $/ { in_ac = 0 }
         !in_ac || /^(\+\+\+|---) / { next }
         /^\+WINE_CONFIG_MAKEFILE\(/ { add = add substr($0, 2) "\n"; next }
         /^[+-]/ { bad = 1 }
         END { if (!bad) printf "%s", add }' "$1"
}

# apply_patch PATCH LOGBASE: the patch, as it is if it can be; sets HOW
# (empty: clean), or CONFLICT_FILES and returns 1.
apply_patch() {
    local p=$1 log=$2 files lines l missing rest
    HOW= CONFLICT_FILES= OFF=
    if exact "$p" "$log.check"; then
        timeout 600 git -C "$W" am -q -3 --keep-cr "$p" > "$log.am" 2>&1 ||
            { am_abort; sed 's/^/    /' "$log.am" >&2; die "$(basename "$p"): 'git am -3' failed where 'git apply --check' passed: see ${log#$TOP/}.am"; }
        [ -z "$OFF" ] || HOW="hunks at an offset in $OFF"
        return 0
    fi
    files=$(failed_files "$log.check")
    am "$p" "$log" "$files" && return 0
    # A Wine git tree's list of makefiles in configure.ac is what
    # tools/make_makefiles writes: a patch whose only trouble is its
    # WINE_CONFIG_MAKEFILE lines goes in without them, and make_makefiles
    # writes them, in the tree's own list.
    [ "$CONFLICT_FILES" = configure.ac ] || return 1
    lines=$(makefile_lines "$p")
    [ -n "$lines" ] || return 1
    if exact "$p" "$log.rest.check" --exclude=configure.ac; then
        timeout 600 git -C "$W" am -q -3 --keep-cr --exclude=configure.ac "$p" > "$log.rest.am" 2>&1 ||
            { am_abort; CONFLICT_FILES="configure.ac (the rest: see ${log#$TOP/}.rest.am)"; return 1; }
        rest=${OFF:+hunks at an offset in $OFF}
    else
        am "$p" "$log.rest" "$(failed_files "$log.rest.check")" --exclude=configure.ac || return 1
        rest=$HOW
    fi
    if ! inroot_step "make_makefiles for $(basename "$p")" 600 "$log.make_makefiles" ./tools/make_makefiles; then
        CONFLICT_FILES="configure.ac (tools/make_makefiles failed: see ${log#$TOP/}.make_makefiles)"
        timeout 120 git -C "$W" reset -q --hard HEAD~1
        return 1
    fi
    missing=
    while IFS= read -r l; do
        grep -Fxq "$l" "$W/configure.ac" || missing="$missing $l"
    done <<< "$lines"
    if [ -n "$missing" ]; then
        CONFLICT_FILES="configure.ac (tools/make_makefiles did not write$missing)"
        timeout 120 git -C "$W" reset -q --hard HEAD~1
        return 1
    fi
    # into the patch's commit: configure.ac only; the rest make_makefiles
    # changed is the tree's own (the prepare stage names it)
    timeout 120 git -C "$W" add configure.ac
    timeout 120 git -C "$W" commit -q --amend --no-edit
    timeout 120 git -C "$W" checkout -q -- .
    HOW="${rest:+$rest; }configure.ac: its context is not in this tree; $(echo $lines) written by tools/make_makefiles"
    CONFLICT_FILES=
}

# series_apply: SERIES onto W, one patch at a time, each reported clean,
# fuzz or conflict (then it dies, the 'git am' aborted).  SUMMARY says how
# it went.
series_apply() {
    local p n s
    stage "apply the series committed in HEAD (${#SERIES[@]} patches)"
    for p in ${LEFT_OUT[@]+"${LEFT_OUT[@]}"}; do
        printf '    %s left out  %s\n              its message says %s\n' "$(num "$p")" "$(subject "$p")" "$MARKER"
    done
    CLEAN=0 FUZZ=0 APPLIED=0
    CONFLICT=
    for p in "${SERIES[@]}"; do
        n=$(num "$p")
        s=$(subject "$p")
        if ! apply_patch "$p" "$LOG/$n"; then
            CONFLICT=$n
            printf '    %s conflict  %s\n              in %s (see %s.*)\n' "$n" "$s" "$CONFLICT_FILES" "${LOG#$TOP/}/$n"
            break
        fi
        APPLIED=$((APPLIED + 1))
        if [ -z "$HOW" ]; then
            CLEAN=$((CLEAN + 1)); printf '    %s clean     %s\n' "$n" "$s"
        else
            FUZZ=$((FUZZ + 1)); printf '    %s fuzz      %s\n              %s\n' "$n" "$s" "$HOW"
        fi
    done
    SUMMARY="$APPLIED of ${#SERIES[@]} patches applied ($CLEAN clean, $FUZZ fuzz, $([ -n "$CONFLICT" ] && echo 1 || echo 0) conflict)"
    if [ -n "$CONFLICT" ]; then
        echo "==> series: $SUMMARY"
        die "patch $CONFLICT does not apply to Wine $VERSION: conflict in $CONFLICT_FILES; 'git am' aborted, nothing built"
    fi
    stage_done "$SUMMARY"
}

# --- the build -------------------------------------------------------------
# root_archs: ARCHS, the PE architectures the root has cross compilers for.
root_archs() {
    local root
    root=$(root_dir)
    has() { [ -L "$root/usr/bin/$1" ] || [ -e "$root/usr/bin/$1" ]; }   # alternatives: links into the root
    has x86_64-w64-mingw32-gcc || die "the root has no x86_64-w64-mingw32-gcc (tools/packages)"
    ARCHS=x86_64
    # PE code needs only the cross compiler, not a host that runs 32-bit programs.
    if has i686-w64-mingw32-gcc; then ARCHS=i386,x86_64; fi
}

# touched_targets BASE: CHANGED, what BASE..HEAD changes in W, and TARGETS,
# what to build for it: the server objects of its server files, every DLL
# it touches (dlls/M/all) and the test programs of its test directories,
# for each of ARCHS.
touched_targets() {
    local f d t a
    CHANGED=$(git -C "$W" diff --name-only "$1" HEAD)
    TARGETS=
    add_target() { case " $TARGETS " in *" $1 "*) ;; *) TARGETS="$TARGETS $1";; esac; }
    for f in $CHANGED; do
        case $f in
        server/*.c) add_target "${f%.c}.o";;
        dlls/*/tests/*)
            d=${f%/tests/*}/tests
            t=$(sed -n 's/^TESTDLL *= *\([^ ]*\)\.[a-z]*$/\1/p' "$W/$d/Makefile.in" 2>/dev/null | head -n 1)
            [ -n "$t" ] || die "$d/Makefile.in has no TESTDLL"
            for a in ${ARCHS//,/ }; do add_target "$d/$a-windows/${t}_test.exe"; done;;
        dlls/*/*) d=${f#dlls/}; add_target "dlls/${d%%/*}/all";;
        esac
    done
    TARGETS=${TARGETS# }
    [ -n "$TARGETS" ] || die "the series changes nothing to build (no server/*.c, dlls/*)"
}

# prepare_tree BASE: as a Wine git tree wants it after such a series:
# tools/make_makefiles (which runs autoconf itself when it changes
# configure.ac), tools/make_requests if BASE..HEAD touches
# server/protocol.def, and autoreconf if it touches configure.ac.
prepare_tree() {
    local base=$1 regen run o f other
    regen="./tools/make_makefiles" run="./tools/make_makefiles"
    case " $(echo $CHANGED) " in *" server/protocol.def "*)
        regen="$regen; ./tools/make_requests" run="$run && ./tools/make_requests";; esac
    case " $(echo $CHANGED) " in *" configure.ac "*|*" aclocal.m4 "*)
        regen="$regen; autoreconf -f" run="$run && autoreconf -f";; esac
    stage "prepare the tree: $regen"
    inroot_step "$regen" 1800 "$LOG/regen.out" "$run" ||
        { tail -n 20 "$LOG/regen.out" >&2; die "preparing the tree failed ($regen): see ${LOG#$TOP/}/regen.out"; }
    if ! sh -n "$W/configure" 2> "$LOG/configure.syntax"; then
        # the series' doing, or the tree's own configure.ac?  autoconf on DIR's
        # configure.ac, without the series, tells.
        o=$WORK/configure-without-series
        rm -rf "$o"; mkdir -p "$o"
        for f in configure.ac aclocal.m4 VERSION; do
            git -C "$W" show "$base:$f" > "$o/$f" 2>/dev/null || rm -f "$o/$f"
        done
        if inroot_step "autoconf without the series" 600 "$LOG/autoconf-without-series.out" "cd '$o' && autoconf" &&
           ! sh -n "$o/configure" 2>> "$LOG/autoconf-without-series.out"; then
            die "autoconf makes a configure with a syntax error from $SRC's own configure.ac, without the series too ($(head -n 1 "$LOG/configure.syntax")): its committed configure is not what its configure.ac makes; fix DIR's configure.ac (see ${LOG#$TOP/}/configure.syntax)"
        fi
        die "the regenerated configure has a syntax error, and DIR's configure.ac without the series makes a good one: the series' configure.ac change is at fault ($(head -n 1 "$LOG/configure.syntax"))"
    fi
    # what else make_makefiles changed is the tree's own (lists it keeps sorted)
    other=$(git -C "$W" diff --name-only | grep -vx -e configure -e include/config.h.in | paste -sd' ' - || true)
    [ -z "$other" ] || echo "    note: the tree's own files tools/make_makefiles rewrote: $other"
    stage_done
}

# configure_tree [VAR=VALUE...]: tools/build's options, those this configure
# knows (Wine 11 has no --without-unwind, say), and a cross compiler through
# ccache per architecture; the arguments go to configure as well.
configure_tree() {
    stage "configure (--enable-archs=$ARCHS${*:+ $*})"
    inroot_step configure 1800 "$LOG/configure.out" "
        opts=
        for o in --without-x --without-freetype --without-gnutls --without-unwind; do
            if ./configure --help | grep -q -e \"--with-\${o#--without-}\\b\" -e \"--without-\${o#--without-}\\b\"; then
                opts=\"\$opts \$o\"
            else
                echo \"$TOOL: this configure has no \$o: not passed\"
            fi
        done
        echo \"$TOOL: ./configure --enable-archs=$ARCHS\$opts${*:+ $*}\"
        ./configure -q --enable-archs=$ARCHS \$opts CFLAGS='-g -O2' CROSSCFLAGS='-g -O2' \
            i386_CC='ccache i686-w64-mingw32-gcc' x86_64_CC='ccache x86_64-w64-mingw32-gcc' $*" ||
        { tail -n 20 "$LOG/configure.out" >&2; die "configure failed for Wine $VERSION: see ${LOG#$TOP/}/configure.out"; }
    sed -n "s/^$TOOL: /    /p" "$LOG/configure.out"
    stage_done
}

# build_touched BASE: prepare, configure, Wine's build tools, then TARGETS
# (touched_targets), then the compiler warnings in the series' files.
build_touched() {
    local base=$1
    prepare_tree "$base"
    configure_tree
    stage "Wine's build tools (make __tooldeps__, $JOBS jobs)"
    inroot_step "make __tooldeps__" 3600 "$LOG/tools.out" "make -j$JOBS __tooldeps__" ||
        { build_errors "$LOG/tools.out"; die "building Wine's tools failed: see ${LOG#$TOP/}/tools.out"; }
    stage_done
    stage "build what the series touches ($(echo $TARGETS | wc -w) targets, $JOBS jobs)"
    echo "$TARGETS" | tr ' ' '\n' | sed 's/^/    /'
    inroot_step "make (the series' modules)" 3600 "$LOG/build.out" "make -k -j$JOBS $TARGETS" ||
        { build_errors "$LOG/build.out"; die "building the series' modules on Wine $VERSION failed: see ${LOG#$TOP/}/build.out"; }
    stage_done
    series_warnings "$base" "$LOG/tools.out" "$LOG/build.out"
}

# series_warnings BASE LOGFILE...: compiler warnings in the series' files
# (its .c and .h files), each marked: on a line the series wrote (from 'git
# diff -U0 BASE'), or on a line of the file the tree already had.  Any fails.
series_warnings() {
    local base=$1 f ranges nw ns
    shift
    SOURCES=$(echo "$CHANGED" | grep -E '\.(c|h)$' || true)
    : > "$LOG/warnings.txt"
    for f in $SOURCES; do
        ranges=$(git -C "$W" diff -U0 "$base" HEAD -- "$f" |
            sed -n 's/^@@ -[0-9,]* +\([0-9]*\)\(,\([0-9]*\)\)\{0,1\} @@.*/\1 \3/p')
        cat "$@" |
            grep -E "^(\.\./|\./)*$(echo "$f" | sed 's/[.]/\\./g'):[0-9]+:([0-9]+:)? warning: " |
            sed -E 's#^(\.\./|\./)*##' | sort -u |
            while IFS= read -r w; do
                line=$(echo "$w" | cut -d: -f2)
                mine=no
                while read -r start count; do
                    [ -n "$start" ] || continue
                    count=${count:-1}
                    if [ "$line" -ge "$start" ] && [ "$line" -lt $((start + count)) ]; then mine=yes; fi
                done <<< "$ranges"
                if [ $mine = yes ]; then echo "series: $w"; else echo "tree:   $w"; fi
            done >> "$LOG/warnings.txt"
    done
    nw=$(wc -l < "$LOG/warnings.txt")
    ns=$(grep -c '^series:' "$LOG/warnings.txt" || true)
    if [ "$nw" != 0 ]; then
        sed 's/^/    /' "$LOG/warnings.txt" | head -n 40
        die "$nw compiler warnings in the series' files ($ns on lines the series wrote, $((nw - ns)) on lines the tree had): see ${LOG#$TOP/}/warnings.txt"
    fi
    echo "==> warnings: none in the series' files ($(echo $SOURCES | wc -w) files: $(echo $SOURCES))"
}
