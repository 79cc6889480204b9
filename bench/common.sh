# Shared by the bench/*.sh scripts (sourced): timing and ratios. Needs `repeat` set.

# best TIME of `repeat` runs of a command, in seconds (its output discarded)
best() {
  local best_s="" s
  for ((k = 0; k < repeat; k++)); do
    s=$(TIMEFORMAT=%R; { time "$@" >/dev/null 2>&1; } 2>&1)
    if [[ -z $best_s ]] || awk -v a="$s" -v b="$best_s" 'BEGIN { exit !(a < b) }'; then best_s=$s; fi
  done
  echo "$best_s"
}

# a / b with two decimals
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
