# tools/coverage-report's report, for one section (server or client):
#   python3 tools/coverage-report.py SECTION OUT PART...
# run in the root by tools/coverage-report, which writes what it reads in OUT:
# patches.tsv, sources, SECTION/lines.tsv and SECTION/PART/*.gcov.json.gz
# (gcov -b -j).  Exits 1 when the server's goal is not met.
import gzip, json, os, sys
section, out, parts = sys.argv[1], sys.argv[2], sys.argv[3:]
LINE_GOAL, BRANCH_GOAL = 100.0, 95.0
sdir = os.path.join(out, section)

patches = {}
for row in open(os.path.join(out, "patches.tsv")):
    c, num, aid, subj = row.rstrip("\n").split("\t", 3)
    patches[c] = (num, aid == "1", subj)
owner = {}      # (file, line) -> commit
for row in open(os.path.join(sdir, "lines.tsv")):
    f, ln, c = row.rstrip("\n").split("\t")
    owner[(f, int(ln))] = c
trees = {}      # file -> the tree it was compiled in, for its source lines
for row in open(os.path.join(out, "sources")):
    sec, gcov, tree, src = row.split()[:4]
    if sec == section:
        trees[src] = tree

def load(part):
    """(file, line) -> [count, {branch key: count}] for the series' lines."""
    got = {}
    d = os.path.join(sdir, part)
    for name in sorted(os.listdir(d)):
        if not name.endswith(".gcov.json.gz"):
            continue
        data = json.load(gzip.open(os.path.join(d, name)))
        for f in data["files"]:
            path = os.path.normpath(os.path.join(data["current_working_directory"], f["file"]))
            rel = os.path.relpath(path, data["current_working_directory"])
            seen = {}
            for l in f["lines"]:
                key = (rel, l["line_number"])
                if key not in owner:
                    continue
                # a line listed twice (two functions) keeps its branches apart
                k = seen[key] = seen.get(key, -1) + 1
                e = got.setdefault(key, [0, {}])
                e[0] += l["count"]
                for i, b in enumerate(l["branches"]):
                    bk = (name, k, i, b["source_block_id"], b["destination_block_id"])
                    e[1][bk] = e[1].get(bk, 0) + b["count"]
    return got

data = {p: load(p) for p in parts}
keys = set()
for p in parts:
    keys |= set(data[p])
if not keys:
    sys.exit("error: gcov reports no executable line of the series (%s): were the counters read from the built files?" % section)
total = {}
for p in parts:
    for key, (n, br) in data[p].items():
        e = total.setdefault(key, [0, {}])
        e[0] += n
        for bk, c in br.items():
            e[1][bk] = e[1].get(bk, 0) + c

def measure(d, sel):
    lines = [k for k in keys if sel(k)]
    lr = sum(1 for k in lines if d.get(k, [0])[0] > 0)
    ball = [(k, bk) for k in lines for bk in total[k][1]]
    br = sum(1 for k, bk in ball if k in d and d[k][1].get(bk, 0) > 0)
    return lr, len(lines), br, len(ball)

def pct(a, b):
    return 100.0 * a / b if b else 100.0

def fmt(lr, ln, br, bn):
    return "%5d/%-5d %6.2f%%   %5d/%-5d %6.2f%%" % (lr, ln, pct(lr, ln), br, bn, pct(br, bn))

series = lambda k: not patches[owner[k]][1]
aid = lambda k: patches[owner[k]][1]
aids = [c for c in patches if patches[c][1] and any(owner[k] == c for k in keys)]
src = {}
def source(f, ln):
    if f not in src:
        tree = trees.get(f) or next(iter(trees.values()))
        src[f] = open(os.path.join(tree, f), errors="replace").read().split("\n")
    return src[f][ln - 1].strip() if ln <= len(src[f]) else "?"

what = "server" if section == "server" else "client (%s)" % ", ".join(sorted({f for f, _ in keys}))
print("the series' %s code: the lines these patches add, as built (-O0, gcov -b):" % section)
for c, (num, isaid, subj) in patches.items():
    n = sum(1 for k in keys if owner[k] == c)
    if n:
        print("  %s %s%s: %d executable lines" % (num, subj, " (test aid, counted apart)" if isaid else "", n))
print()
print("%-22s %-22s   %s" % ("part", "lines", "branches"))
for p in parts:
    runs = []
    rf = os.path.join(sdir, p, "runs")
    if os.path.exists(rf):
        runs = ["%s: %s" % (l.split()[0].split("/")[-1], l.split()[1] if len(l.split()) > 1 else "?") for l in open(rf)]
    nc = os.path.join(sdir, p, "no-counters")
    if os.path.exists(nc):
        runs += ["%s: no counters" % l.strip().split("/")[-1] for l in open(nc)]
    print("%-22s %s   (runs counted: %s)" % (p, fmt(*measure(data[p], series)), ", ".join(runs)))
print("%-22s %s" % ("all parts", fmt(*measure(total, series))))
if aids:
    print("%-22s %s" % ("test aid, all parts", fmt(*measure(total, aid))))
print()
print("per patch, all parts:")
for c, (num, isaid, subj) in patches.items():
    m = measure(total, lambda k: owner[k] == c)
    if m[1]:
        print("  %s %s  %s" % (num, fmt(*m), subj[:60]))

def unreached(d, sel, fh):
    """Writes the lines of sel never run in d, and the branches never taken."""
    n = 0
    for k in sorted(k for k in keys if sel(k)):
        f, ln = k
        num = patches[owner[k]][0]
        count, br = d.get(k, [0, {}])
        if count == 0:
            fh.write("  %s:%d [%s] line never run:  %s\n" % (f, ln, num, source(f, ln)))
            n += 1
            continue
        bks = sorted(total[k][1])
        for i, bk in enumerate(bks):
            if br.get(bk, 0) == 0:
                fh.write("  %s:%d [%s] branch %d of %d never taken:  %s\n" % (f, ln, num, i + 1, len(bks), source(f, ln)))
                n += 1
    return n

print()
print("not reached by any part (the series' lines; a branch is numbered as gcov -b numbers it on its line):")
if unreached(total, series, sys.stdout) == 0:
    print("  nothing")
if aids:
    print("not reached by any part (test aid):")
    if unreached(total, aid, sys.stdout) == 0:
        print("  nothing")
for p in parts:
    # each part's own list, for the curious
    with open(os.path.join(sdir, p + ".unreached"), "w") as fh:
        unreached(data[p], lambda k: True, fh)

lr, ln, br, bn = measure(total, series)
print()
if section == "server":
    print("coverage: %d/%d lines, %d/%d branches of the series' server code" % (lr, ln, br, bn))
else:
    print("coverage (client, PE x86_64): %d/%d lines, %d/%d branches of the series' %s code" %
          (lr, ln, br, bn, " and ".join(sorted({f.split("/")[1] for f, _ in keys}))))
if aids:
    a = measure(total, aid)
    print("coverage (test aid, %s): %d/%d lines, %d/%d branches" % (", ".join(patches[c][0] for c in aids), a[0], a[1], a[2], a[3]))
if section != "server":
    sys.exit(0)
ok = pct(lr, ln) >= LINE_GOAL and pct(br, bn) >= BRANCH_GOAL
print("goal (%.0f%% of the lines, %.0f%% of the branches): %s (%.2f%% lines, %.2f%% branches)" %
      (LINE_GOAL, BRANCH_GOAL, "met" if ok else "NOT met", pct(lr, ln), pct(br, bn)))
sys.exit(0 if ok else 1)
