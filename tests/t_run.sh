#!/bin/sh
# tests/run.sh itself: run as root (as CI is), a test that passes but prints
# SKIP or NOT CHECKED fails the run, unless the same line says why root
# cannot run the check; not root, such a line is only reported.  Each case
# is a tiny tree with one tests/t_*.sh, run through a copy of run.sh.
set -u
SRC=${MELTCON_SRC:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
say() { echo "t_run: $*"; }
fail() { echo "FAIL: $*"; exit 1; }

# tree NAME LINE: a tree whose only test prints LINE and passes
tree() {
    mkdir -p "$tmp/$1/tests"
    cp "$SRC/tests/run.sh" "$tmp/$1/tests/run.sh"
    printf '#!/bin/sh\necho "t_x: %s"\necho ok\n' "$2" >"$tmp/$1/tests/t_x.sh"
    chmod 755 "$tmp"
    chmod -R a+rwX "$tmp/$1"
}
# outcome NAME [AS]: run the tree (as account AS when given); prints its output
outcome() {
    if [ -n "${2:-}" ]; then
        (cd "$tmp/$1" && setpriv --reuid="$2" --regid="$(id -g "$2")" --clear-groups \
            env HOME=/ sh tests/run.sh build) 2>&1
    else
        (cd "$tmp/$1" && sh tests/run.sh build) 2>&1
    fi
}

tree plain "all checked"
outcome plain >"$tmp/out" || fail "a plain passing test failed the run: $(cat "$tmp/out")"
grep -qx 'tests: 1 passed, 0 failed' "$tmp/out" || fail "plain: $(cat "$tmp/out")"

tree skip "SKIP the disk check: needs root"
tree notchecked "NOT CHECKED: the accounts (needs root)"
tree why "SKIP the disk check: root cannot mount here: permission denied"
if [ "$(id -u)" -eq 0 ]; then
    for t in skip notchecked; do
        outcome $t >"$tmp/out" && fail "$t: a skipped check passed as root: $(cat "$tmp/out")"
        grep -q "^FAIL t_x: run as root, it skipped a check without saying why root cannot run it:" \
            "$tmp/out" || fail "$t: no sentence: $(cat "$tmp/out")"
        grep -qx 'tests: 0 passed, 1 failed' "$tmp/out" || fail "$t: $(cat "$tmp/out")"
    done
    outcome why >"$tmp/out" || fail "a skip that says why root cannot failed: $(cat "$tmp/out")"
    say "as root: skipping lines fail the run unless they say why root cannot"
    # not root, the same lines pass: the check truly cannot run there
    command -v setpriv >/dev/null || fail "setpriv (util-linux) is missing"
    tree skip_nobody "SKIP the disk check: needs root"
    outcome skip_nobody nobody >"$tmp/out" || fail "not root, a SKIP failed the run: $(cat "$tmp/out")"
    grep -qx 'tests: 1 passed, 0 failed' "$tmp/out" || fail "nobody: $(cat "$tmp/out")"
    say "not root: the same skipping line passes (that check needs root)"
else
    outcome skip >"$tmp/out" || fail "not root, a SKIP failed the run: $(cat "$tmp/out")"
    say "SKIP the root half of this test: not root (uid $(id -u)); it needs root to run a tree as root"
fi
echo ok
