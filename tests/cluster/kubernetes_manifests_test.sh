#!/usr/bin/env bash
# Test: the Kubernetes manifests pass deploy/kubernetes/check-manifests (yamllint, the fields an
# MPIJob and a Pod need, agreement with deploy/Containerfile), and the checker does catch each
# kind of mistake in a broken copy.
# A manifest whose program is not built yet (BIN_DIR/APP missing) is left out, with a message.
#   kubernetes_manifests_test.sh SOURCE_DIR BIN_DIR
set -euo pipefail
root=$1 bin_dir=$2
manifests=()
for m in "$root"/deploy/kubernetes/*.yaml; do
  app=$(basename "$m" .yaml)
  app=${app%%-*}
  if [[ ! -x $bin_dir/$app ]]; then
    echo "SKIP $(basename "$m"): $bin_dir/$app does not exist yet (not built); checked once it does"
    continue
  fi
  manifests+=("$m")
done
check=$root/deploy/kubernetes/check-manifests
command -v yamllint >/dev/null || { echo "FAIL: yamllint not installed (scripts/setup installs it)"; exit 1; }
((${#manifests[@]})) || { echo "SKIP: no program built yet"; exit 77; }
echo "== the manifests as they are"
timeout 60 "$check" "${manifests[@]}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$root"/deploy/kubernetes/{.yamllint,*.yaml} "$work/"
status=0
# Each line: a manifest, a sed edit that breaks it, and what the checker must then report.
while IFS='#' read -r file edit expected; do
  [[ " ${manifests[*]} " == *"/$file "* ]] || continue
  cp "$root/deploy/kubernetes/$file" "$work/$file"
  sed -i "$edit" "$work/$file"
  if cmp -s "$root/deploy/kubernetes/$file" "$work/$file"; then
    echo "FAIL: the edit '$edit' changed nothing in $file"
    status=1
    continue
  fi
  if out=$(timeout 60 "$check" "$work/$file" 2>&1); then
    echo "FAIL: check-manifests accepted $file after '$edit'"
    status=1
  elif ! grep -q -- "$expected" <<<"$out"; then
    echo "FAIL: after '$edit' on $file, expected a problem saying '$expected'; got:"
    echo "$out"
    status=1
  else
    echo "caught: $file, $edit -> $(grep -m1 -- "$expected" <<<"$out")"
  fi
  cp "$root/deploy/kubernetes/$file" "$work/$file"
done <<'CASES'
wordcount-mpijob.yaml#s|image: localhost/mrkit:latest|image: mrkit:old|#is not the one deploy/build-image makes
wordcount-mpijob.yaml#0,/- "4"/s//- "6"/#workers x 2 slots
wordcount-mpijob.yaml#0,/runAsUser: 1000/s//runAsUser: 0/#runAsUser must be
wordcount-mpijob.yaml#s|/opt/mrkit/bin/wordcount|/usr/local/bin/wordcount|#expected one program
wordcount-mpijob.yaml#s|/opt/mrkit/share/mrkit/corpus|/data/corpus|#should read the corpus
wordcount-mpijob.yaml#s|port: 2222|port: 22|#readinessProbe must probe
wordcount-mpijob.yaml#s|sshAuthMountPath: /home/mpiuser/.ssh|sshAuthMountPath: /root/.ssh|#sshAuthMountPath must be
wordcount-mpijob.yaml#s|kubeflow.org/v2beta1$|kubeflow.org/v1|#apiVersion must be
wordcount-mpijob.yaml#/slotsPerWorker/d#slotsPerWorker must be
montecarlo-mpijob.yaml#s|/opt/mrkit/bin/montecarlo|/opt/mrkit/bin/montecarlo2|#has no program
montecarlo-mpijob.yaml#0,/memory: 512Mi/{/memory: 512Mi/d}#resources.limits.memory missing
montecarlo-mpijob.yaml#s|^      replicas: 2|      replicas: 3|#workers x 2 slots
wordcount-pod.yaml#s|restartPolicy: Never|restartPolicy: Always|#restartPolicy must be Never
wordcount-pod.yaml#s|^        - mpirun|        - /bin/sh|#must start with mpirun
wordcount-pod.yaml#s|^  containers:|  containers:  |#yamllint FAILED
CASES
exit $status
