#!/bin/sh
# make bench: check-config against the size of the file (issue 11: 40,000
# sections took 7.9 s; the loader is to be linear).  The shipped meltcon.ini
# followed by N more [tag.xI] sections (N = 1000, 10000, 40000: beyond the
# 128 tags a file may hold, so check-config refuses them after reading them
# all), and the largest file the schema can load (128 tags, 96 alarms: the
# only size iniparser is asked about, see config/README.md, 'Loading and
# validation').  Median wall time of REPS runs each, and the ratio from 10k
# to 40k sections (linear: about 4).  Nothing fails on a figure.
# Usage: bench_config.sh BUILD_DIR    (BENCH_CONFIG_REPS, default 3)
set -u
B=${1:-build}
REPS=${BENCH_CONFIG_REPS:-3}
MC=$B/meltcon
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# more_tags N FIRST: N tag sections after the shipped file's 50
more_tags() {
    awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++)
        printf "[tag.x%d]\naddr = hr:%d\ntype = uint16\ndescription = \"extra %d; generated\"\n\n",
               i, 1000 + i, i }'
}

# ms FILE WANT: median milliseconds of check-config FILE; WANT is its exit status
ms() {
    for i in $(seq "$REPS"); do
        t0=$(date +%s%N)
        "$MC" check-config "$1" >/dev/null 2>&1
        rc=$?
        t1=$(date +%s%N)
        [ "$rc" = "$2" ] || { echo "check-config $1: exit $rc, expected $2" >&2; echo -1; return; }
        echo $(((t1 - t0) / 1000))
    done | median | awk '{printf "%.1f", $1 / 1000}'
}

echo "== check-config against the size of the file (linear: x4 from 10k to 40k sections)"
for n in 1000 10000 40000; do
    { cat config/meltcon.ini; more_tags "$n"; } >"$tmp/s$n.ini"
    t=$(ms "$tmp/s$n.ini" 1)
    eval "t$n=$t"
    printf "   %6d sections (%5d lines): %8s ms\n" "$((n + 64))" "$(wc -l <"$tmp/s$n.ini")" "$t"
done
awk -v a="$t10000" -v b="$t40000" 'BEGIN { if (a > 0) printf "   10k -> 40k sections: x%.1f\n", b / a }'

# the largest loadable file: 128 tags and 96 alarms, every one read through iniparser too
{
    cat config/meltcon.ini
    more_tags 78
    awk 'BEGIN { for (i = 0; i < 56; i++)
        printf "[alarm.x%d]\nkind = hi\ntag = x%d\nlimit = 1\npriority = low\nmessage = \"x%d; hi\"\n\n",
               i, i, i }'
} >"$tmp/max.ini"
printf "   largest loadable file, 128 tags and 96 alarms (%d lines): %s ms\n" \
    "$(wc -l <"$tmp/max.ini")" "$(ms "$tmp/max.ini" 0)"
