#!/usr/bin/env bash
# Tests of the container image (deploy/Containerfile), with image storage of their own in STORAGE:
#
#   container_test.sh build SOURCE_DIR STORAGE
#       deploy/build-image: the debootstrap base (cached in /var/tmp/mrkit-base, made if missing),
#       then buildah. CTest fixture setup.
#   container_test.sh run SOURCE_DIR STORAGE BIN_DIR PROGRAM ARGS...
#       podman run: mpirun -n 2 PROGRAM ARGS inside the image, as its non-root user; the JSON
#       equals the host build's one-rank run ("ranks", "seconds" aside; the corpus path the image
#       ships stands for apps/wordcount/corpus). Exit 77 while BIN_DIR/PROGRAM is not built.
#   container_test.sh kube SOURCE_DIR STORAGE BIN_DIR
#       podman kube play deploy/kubernetes/wordcount-pod.yaml; the pod's log equals the one-rank
#       run of the same arguments; the pod is taken down.
#   container_test.sh mpijob SOURCE_DIR STORAGE BIN_DIR MANIFEST
#       an MPIJob's launcher and worker commands, as the manifest gives them, in one container:
#       the worker's sshd (keys mounted read-only at sshAuthMountPath, as the operator's Secret),
#       the launcher's mpirun reaching Worker.replicas "hosts" (127.0.0.2, .3, ...: loopback
#       addresses, so Open MPI must go through ssh) with slotsPerWorker slots each, through the
#       hostfile the operator would write; the JSON equals the host build's one-rank run.
#   container_test.sh clean SOURCE_DIR STORAGE
#       removes every container, pod and image of STORAGE, and STORAGE. CTest fixture cleanup.
set -euo pipefail
mode=$1 root=$2 storage=$3
shift 3
export MRKIT_CONTAINERS_DIR=$storage
podman_local=("$root/deploy/podman-local")
image=localhost/mrkit:latest
corpus_image=/opt/mrkit/share/mrkit/corpus corpus_host=apps/wordcount/corpus
# Open MPI inside the container (no network but its loopback): shared memory between ranks.
# shellcheck disable=SC2054  # the commas belong to the values
mpi_env=(--env OMPI_MCA_oob_tcp_if_include=lo --env OMPI_MCA_btl=self,vader --env OMPI_MCA_pml=ob1)

[[ $(id -u) == 0 ]] || { echo "SKIP: needs root (podman with its own storage)"; exit 77; }
for p in podman buildah runc debootstrap; do
  command -v $p >/dev/null || { echo "FAIL: $p not installed (scripts/setup installs it)"; exit 1; }
done

# The image the fixture test built; its skip (no mirror) skips the tests that need it.
need_image() {
  "${podman_local[@]}" podman image exists "$image" && return 0
  if [[ -f $storage/SKIPPED ]]; then
    echo "SKIP: no image: $(<"$storage/SKIPPED")"
    exit 77
  fi
  echo "FAIL: no image $image in $storage (the fixture test cluster.container.image failed?)"
  exit 1
}

ms_since() { echo "$((($(date +%s%N) - $1) / 1000000)) ms"; }

# The host build's one-rank result of the same arguments, corpus paths as the host has them.
reference() {
  local bin=$1 out=$2
  shift 2
  local args=("${@//$corpus_image/$corpus_host}")
  (cd "$root" && timeout 300 "$bin" "${args[@]}") >"$out"
}

compare() {
  /usr/bin/python3 "$root/tests/cluster/same_results.py" --map-path "$corpus_image=$corpus_host" "$@"
}

case $mode in
  build)
    start=$(date +%s%N)
    "${podman_local[@]}" reset  # a storage a killed run left behind
    mkdir -p "$storage"
    # The build needs Debian's package mirror (debootstrap of the base, apt-get in both stages):
    # without it, the image tests are skipped, with the reason, instead of failing or hanging.
    mirror=${MRKIT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
    if ! why=$(/usr/bin/python3 - "$mirror/dists/bookworm/Release" 2>&1 <<'PY'
import sys, urllib.request
try:
    urllib.request.urlopen(urllib.request.Request(sys.argv[1], method="HEAD"), timeout=10).close()
except Exception as e:
    sys.exit(f"{type(e).__name__}: {e}")
PY
    ); then
      reason="Debian's package mirror $mirror is not reachable within 10 s ($why); the image build needs it (set MRKIT_DEBIAN_MIRROR for another mirror)"
      echo "$reason" >"$storage/SKIPPED"
      echo "SKIP: $reason"
      exit 77
    fi
    # The build takes minutes: its output goes to CTest's log as it comes, with a line every
    # 30 s saying how far it is, also on the terminal (if there is one) that ctest runs on.
    log=$storage/build.log
    timeout 3000 nice -n 10 "$root/deploy/build-image" "$image" >"$log" 2>&1 &
    builder=$!
    shown=0 next=30 t0=$SECONDS
    while kill -0 "$builder" 2>/dev/null; do
      sleep 1
      lines=$(wc -l <"$log")
      ((lines > shown)) && { tail -n "+$((shown + 1))" "$log" | head -n "$((lines - shown))"; shown=$lines; }
      if ((SECONDS - t0 >= next)); then
        next=$((next + 30))
        step=$(grep -o '^STEP [0-9]*/[0-9]*' "$log" | tail -n 1 || true)
        note="cluster.container.image: building for $((SECONDS - t0)) s (${step:-the debootstrap base}; about 3 min from nothing on 2 quiet cores)"
        echo "== $note"
        { echo "   $note" >/dev/tty; } 2>/dev/null || true
      fi
    done
    status=0
    wait "$builder" || status=$?
    tail -n "+$((shown + 1))" "$log"
    ((status == 0)) || { echo "FAIL: deploy/build-image exited $status"; exit "$status"; }
    echo "== image built in $(ms_since "$start")"
    "${podman_local[@]}" podman images
    echo "== runtime packages:"
    timeout 120 "${podman_local[@]}" podman run --rm --network none "$image" cat /opt/mrkit/share/mrkit/runtime-packages | tr '\n' ' '
    echo
    echo "== the user:"
    timeout 120 "${podman_local[@]}" podman run --rm --network none "$image" id
    ;;

  run)
    bin_dir=$1 program=$2
    shift 2
    if [[ ! -x $bin_dir/$program ]]; then
      echo "SKIP: $bin_dir/$program does not exist yet (not built); this test turns on once it does"
      exit 77
    fi
    need_image
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    reference "$bin_dir/$program" "$work/reference.json" "$@"
    echo "== podman run $image mpirun -n 2 $program $*"
    start=$(date +%s%N)
    # --rm and a name: a run that timed out leaves no container behind the next one.
    name=mrkit-test-$program-$$
    timeout 300 "${podman_local[@]}" podman run --rm --network none --name "$name" "${mpi_env[@]}" "$image" \
      mpirun -n 2 "/opt/mrkit/bin/$program" "$@" >"$work/result.json" ||
      { status=$?; "${podman_local[@]}" podman rm --force "$name" >/dev/null 2>&1 || true; cat "$work/result.json"; exit $status; }
    echo "   $(ms_since "$start")"
    grep -q '"ranks": *2\b' "$work/result.json" || { echo "FAIL: not 2 ranks:"; cat "$work/result.json"; exit 1; }
    compare --label "$program, 2 ranks in the container" "$work/reference.json" "$work/result.json"
    ;;

  kube)
    bin_dir=$1
    manifest=$root/deploy/kubernetes/wordcount-pod.yaml
    [[ -x $bin_dir/wordcount ]] || { echo "SKIP: $bin_dir/wordcount not built"; exit 77; }
    need_image
    work=$(mktemp -d)
    down() {
      timeout 60 "${podman_local[@]}" podman kube down "$manifest" >/dev/null 2>&1 || true
      rm -rf "$work"
    }
    trap down EXIT
    # The pod's arguments, read from the manifest, for the reference run.
    mapfile -t args < <(/usr/bin/python3 -c '
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))["spec"]["containers"][0]
print(*[str(a) for a in c["args"]][3:], sep="\n")' "$manifest")
    reference "$bin_dir/wordcount" "$work/reference.json" "${args[@]}"
    timeout 60 "${podman_local[@]}" podman kube down "$manifest" >/dev/null 2>&1 || true  # a killed run's pod
    echo "== podman kube play $manifest (wordcount ${args[*]})"
    start=$(date +%s%N)
    # --network none: the pod's ranks talk over its loopback; no bridge, no firewall rules to undo.
    timeout 120 "${podman_local[@]}" podman kube play --network none "$manifest"
    pod=$(/usr/bin/python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["metadata"]["name"])' "$manifest")
    container=$pod-wordcount
    # Wait (bounded) for the container to exit; podman wait has no time limit of its own.
    exit_code=$(timeout 180 "${podman_local[@]}" podman wait "$container") ||
      { echo "FAIL: $container did not finish in 180 s"; "${podman_local[@]}" podman ps -a --pod; exit 1; }
    echo "   exited $exit_code after $(ms_since "$start")"
    "${podman_local[@]}" podman logs "$container" >"$work/result.json" 2>"$work/stderr"
    if [[ $exit_code != 0 ]]; then
      echo "FAIL: the pod's container exited $exit_code:"
      cat "$work/result.json" "$work/stderr"
      exit 1
    fi
    grep -q '"ranks": *2\b' "$work/result.json" || { echo "FAIL: not 2 ranks:"; cat "$work/result.json"; exit 1; }
    compare --label "wordcount in the pod (podman kube play), 2 ranks" "$work/reference.json" "$work/result.json"
    ;;

  mpijob)
    bin_dir=$1 manifest=$2
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    # The manifest's commands become one script: hostfile, worker (sshd) in the background, launcher.
    /usr/bin/python3 - "$manifest" "$work" <<'PY'
import pathlib, shlex, sys, yaml
manifest, work = sys.argv[1], pathlib.Path(sys.argv[2])
spec = yaml.safe_load(open(manifest))["spec"]
def command(role):
    c = spec["mpiReplicaSpecs"][role]["template"]["spec"]["containers"][0]
    return [str(a) for a in c.get("command", []) + c.get("args", [])]
launcher, worker = command("Launcher"), command("Worker")
workers, slots = spec["mpiReplicaSpecs"]["Worker"]["replicas"], spec["slotsPerWorker"]
port = spec["mpiReplicaSpecs"]["Worker"]["template"]["spec"]["containers"][0]["readinessProbe"]["tcpSocket"]["port"]
program = next(a for a in launcher if a.startswith("/opt/mrkit/bin/"))
hosts = "\n".join(f"127.0.0.{2 + i} slots={slots}" for i in range(workers))
(work / "app").write_text(program.rsplit("/", 1)[1])
(work / "ranks").write_text(str(workers * slots))
(work / "ssh_dir").write_text(spec["sshAuthMountPath"])
(work / "args").write_text("\n".join(launcher[launcher.index(program) + 1:]) + "\n")
(work / "run.sh").write_text(f"""set -e
printf '{hosts}\\n' >/tmp/hostfile
export OMPI_MCA_orte_default_hostfile=/tmp/hostfile
# The "workers" share this container's host name and /dev/shm, so shared memory between ranks
# of one worker would collide with the other's (vader crashes): TCP on loopback, as between pods.
export OMPI_MCA_btl=self,tcp OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo
# They share its /tmp too: two Open MPI daemons making one session directory at once race
# ("mkdir: File exists", seen once in CI). Each daemon gets its own, as each pod has.
cat >/tmp/orted-own-tmp <<'EOF_AGENT'
#!/bin/sh
OMPI_MCA_orte_tmpdir_base=$(mktemp -d /tmp/orted.XXXXXX) && export OMPI_MCA_orte_tmpdir_base
exec orted "$@"
EOF_AGENT
chmod +x /tmp/orted-own-tmp
export OMPI_MCA_orte_launch_agent=/tmp/orted-own-tmp
{shlex.join(worker)} 2>/tmp/sshd.log &
for i in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/{port}) 2>/dev/null && break; sleep 0.1; done
{shlex.join(launcher)} || {{ status=$?; cat /tmp/sshd.log >&2; exit $status; }}
grep -c '^Accepted publickey' /tmp/sshd.log >/tmp/logins
echo "ssh logins to the worker: $(cat /tmp/logins)" >&2
""")
PY
    app=$(<"$work/app")
    [[ -x $bin_dir/$app ]] || { echo "SKIP: $bin_dir/$app does not exist yet (not built); this test turns on once it does"; exit 77; }
    need_image
    mapfile -t args <"$work/args"
    reference "$bin_dir/$app" "$work/reference.json" "${args[@]}"
    # The operator's Secret: a key pair, the public key authorized, readable by the image's user.
    mkdir -m 700 "$work/ssh"
    ssh-keygen -q -t rsa -b 3072 -N '' -C mrkit-test -f "$work/ssh/id_rsa"
    cp "$work/ssh/id_rsa.pub" "$work/ssh/authorized_keys"
    chown -R 1000:1000 "$work/ssh"
    echo "== $(basename "$manifest"): worker $(grep -m1 sshd "$work/run.sh" | cut -d' ' -f1-4), launcher mpirun ... $app ${args[*]}"
    start=$(date +%s%N)
    name=mrkit-test-mpijob-$$
    timeout 300 "${podman_local[@]}" podman run --rm --network none --name "$name" \
      -v "$work/ssh:$(<"$work/ssh_dir"):ro" -v "$work/run.sh:/tmp/run.sh:ro" "$image" bash /tmp/run.sh \
      >"$work/result.json" 2>"$work/stderr" ||
      { status=$?; "${podman_local[@]}" podman rm --force "$name" >/dev/null 2>&1 || true
        cat "$work/result.json" "$work/stderr"; exit $status; }
    echo "   $(ms_since "$start"); $(grep 'ssh logins' "$work/stderr")"
    grep -q 'ssh logins to the worker: [1-9]' "$work/stderr" || { echo "FAIL: mpirun did not go through ssh"; cat "$work/stderr"; exit 1; }
    ranks=$(<"$work/ranks")
    grep -q "\"ranks\": *$ranks\b" "$work/result.json" || { echo "FAIL: not $ranks ranks:"; cat "$work/result.json"; exit 1; }
    compare --label "$app as the MPIJob runs it (ssh to the workers)" "$work/reference.json" "$work/result.json"
    ;;

  clean)
    timeout 300 "${podman_local[@]}" reset
    echo "removed $storage"
    ;;

  *)
    echo "usage: container_test.sh build|run|kube|clean SOURCE_DIR STORAGE ..." >&2
    exit 2
    ;;
esac
