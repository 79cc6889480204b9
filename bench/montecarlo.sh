#!/usr/bin/env bash
# The course's per-seed example, measured in one run beside numpy:
#   montecarlo square for N = 10,000,000 seeds at 1 and 2 ranks (best of REPEAT);
#   numpy's serial loop and the course's multiprocessing.Pool version on 1,000,000 seeds;
#   per-seed nanoseconds and ratios; the SIMD level of the seed kernel (MRKIT_SIMD);
#   pi's nanoseconds per sample at 1 and 2 ranks.
#     bench/montecarlo.sh [REPEAT]        (default 3)
# Not a test: numbers depend on the machine and its load; compare the ratios, not the seconds.
# "seconds" is the program's own clock (after MPI start-up); "wall" includes mpirun.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
repeat=${1:-3}
bin=${MRKIT_BIN:-$root/build/bin}
python=${MRKIT_PYTHON:-/usr/bin/python3}
run=("$root/scripts/mpirun-laptop")
seeds=10000000
numpy_seeds=1000000
pi_samples=2000000000

# best of REPEAT runs of "$@": prints "program_seconds wall_seconds" (the program prints its
# own seconds on its last line as "... in S s" (square) or "...: S s," (pi)).
best() {
  local best_s="" best_w="" s w t0 t1 out
  for ((k = 0; k < repeat; k++)); do
    t0=$(date +%s.%N)
    out=$("$@" 2>/dev/null)
    t1=$(date +%s.%N)
    w=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    s=$(sed -n 's/.* in \([0-9.]*\) s:.*/\1/p; s/.*, seed [0-9]*: \([0-9.]*\) s,.*/\1/p' <<<"$out" | tail -1)
    if [[ -z $best_s ]] || awk -v a="$s" -v b="$best_s" 'BEGIN { exit !(a < b) }'; then
      best_s=$s
      best_w=$w
    fi
  done
  echo "$best_s $best_w"
}
ns_per() { awk -v s="$1" -v n="$2" -v r="${3:-1}" 'BEGIN { printf "%.1f", s / n * 1e9 * r }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", a / b }'; }

echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); best of $repeat"

# numpy, in the same run: the course's carre(seed), serially and with a Pool of all cores.
read -r t_numpy t_pool pool_procs < <("$python" - "$numpy_seeds" "$repeat" <<'EOF'
import multiprocessing as mp
import sys
import time
import numpy as np

def carre(seed):
    np.random.seed(seed)
    aleatoire_num = np.random.randint(0, 10)
    return aleatoire_num ** 2

if __name__ == "__main__":
    n, repeat = int(sys.argv[1]), int(sys.argv[2])
    serial = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        results = []
        for i in range(n):
            results.append(carre(i))
        serial.append(time.perf_counter() - t0)
    pooled = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        with mp.Pool(processes=mp.cpu_count()) as pool:
            results_pool = pool.map(carre, range(n))
        pooled.append(time.perf_counter() - t0)
    assert results == results_pool
    print(f"{min(serial):.3f} {min(pooled):.3f} {mp.cpu_count()}")
EOF
)

read -r s1 w1 < <(best "${run[@]}" -n 1 "$bin/montecarlo" square --seeds "$seeds")
read -r s2 w2 < <(best "${run[@]}" -n 2 "$bin/montecarlo" square --seeds "$seeds")
ns_numpy=$(ns_per "$t_numpy" "$numpy_seeds")
ns_pool=$(ns_per "$t_pool" "$numpy_seeds")
ns1=$(ns_per "$s1" "$seeds")
ns2=$(ns_per "$s2" "$seeds")
echo
echo "## The course's example: np.random.seed(i); np.random.randint(0, 10) ** 2"
echo
echo "| what | seeds | processes | seconds | wall | ns per seed | ns per seed per process | numpy serial / this |"
echo "|---|---|---|---|---|---|---|---|"
echo "| numpy, serial loop (the course) | $numpy_seeds | 1 | $t_numpy | - | $ns_numpy | $ns_numpy | 1 |"
echo "| numpy, multiprocessing.Pool (the course) | $numpy_seeds | $pool_procs | $t_pool | - | $ns_pool | $(ns_per "$t_pool" "$numpy_seeds" "$pool_procs") | $(ratio "$ns_numpy" "$ns_pool") |"
echo "| montecarlo square | $seeds | 1 | $s1 | $w1 | $ns1 | $ns1 | $(ratio "$ns_numpy" "$ns1") |"
echo "| montecarlo square | $seeds | 2 | $s2 | $w2 | $ns2 | $(ns_per "$s2" "$seeds" 2) | $(ratio "$ns_numpy" "$ns2") |"

echo
echo "## The seed kernel at each SIMD level (1 rank, $seeds seeds; MRKIT_SIMD)"
echo
echo "| level | seconds | ns per seed |"
echo "|---|---|---|"
for level in x86-64 x86-64-v2 x86-64-v3 x86-64-v4; do
  read -r s _ < <(MRKIT_SIMD=$level best "${run[@]}" -x MRKIT_SIMD -n 1 "$bin/montecarlo" square --seeds "$seeds")
  echo "| $level | $s | $(ns_per "$s" "$seeds") |"
done
echo "(a level the CPU lacks runs as the best one it has)"

echo
echo "## pi: hit or miss in the quarter disc, Philox4x32-10 streams ($pi_samples samples)"
echo
echo "| ranks | seconds | wall | ns per sample | ns per sample per rank |"
echo "|---|---|---|---|---|"
for n in 1 2; do
  read -r s w < <(best "${run[@]}" -n "$n" "$bin/montecarlo" pi --samples "$pi_samples")
  echo "| $n | $s | $w | $(ns_per "$s" "$pi_samples") | $(ns_per "$s" "$pi_samples" "$n") |"
done
