#!/usr/bin/env bash
# Test: PROGRAM ARGS across 3 hosts x 2 ranks (network namespaces, mpirun --hostfile, TCP between
# hosts) gives the same JSON as a one-rank run, "ranks" and "seconds" aside.
#   netns_test.sh SOURCE_DIR BIN_DIR PROGRAM ARGS...      (exit 77: PROGRAM not built, skipped)
set -euo pipefail
root=$1 bin_dir=$2 program=$3
shift 3
bin=$bin_dir/$program
if [[ ! -x $bin ]]; then
  echo "SKIP: $bin does not exist yet (not built); this test turns on once it does"
  exit 77
fi
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root (network namespaces)"; exit 77; }
cd "$root"  # the inputs' relative paths are the same on every "host"

# The test's own hosts, apart from any a person made with the defaults.
export MRKIT_NETNS_STATE=/run/mrkit-netns-test MRKIT_NETNS_PREFIX=mrkit-t MRKIT_NETNS_BRIDGE=mrkit-brt
export MRKIT_NETNS_SUBNET=10.203.8
hosts=3 slots=2 ranks=6

mkdir -p /run/lock
exec 9>/run/lock/mrkit-netns-test.lock
flock -w 600 9 || { echo "another netns test held the lock for 10 minutes"; exit 1; }
work=$(mktemp -d)
cleanup() {
  timeout 60 "$root/scripts/cluster/netns-hosts" down >/dev/null || echo "WARNING: teardown failed" >&2
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
"$root/scripts/cluster/netns-hosts" down >/dev/null  # what a killed run may have left
"$root/scripts/cluster/netns-hosts" up $hosts $slots
mpirun_netns=("$root/scripts/cluster/mpirun-netns")

echo "== where the $ranks ranks run"
timeout 60 "${mpirun_netns[@]}" -n $ranks hostname | sort | uniq -c | tee "$work/placement"
expected=$(for ((i = 1; i <= hosts; i++)); do echo "$slots mrkit-t$i"; done)
if [[ $(awk '{print $1, $2}' "$work/placement") != "$expected" ]]; then
  echo "FAIL: expected $slots ranks on each of mrkit-t1..mrkit-t$hosts"
  exit 1
fi

echo "== $program $*: one rank"
timeout 300 "$bin" "$@" >"$work/reference.json"
echo "== $program $*: $ranks ranks on $hosts hosts"
start=$(date +%s%N)
timeout 300 "${mpirun_netns[@]}" -n $ranks "$bin" "$@" >"$work/result.json"
echo "   $((($(date +%s%N) - start) / 1000000)) ms"
grep -q "\"ranks\": *$ranks\b" "$work/result.json" || { echo "FAIL: the result does not say $ranks ranks:"; cat "$work/result.json"; exit 1; }
/usr/bin/python3 "$root/tests/cluster/same_results.py" --label "$program $ranks ranks" \
  "$work/reference.json" "$work/result.json"
