#!/usr/bin/env bash
# tests/e2e/demo_test.sh — `make demo` end to end: runs scripts/demo up under a
# demo name of its own and a state directory of its own (so a person's demo is
# untouched), checks that the three sample DataNodes are Ready with agents
# running from what the operator rendered and PACS holding the synthetic
# studies, that the node table was printed, then runs scripts/demo down and
# checks that nothing it started is left: no process, no control plane, no
# PACS, no state. The binaries come from ONCOATLAS_{OPERATOR,AGENT,SYNTH}_BIN
# (ctest passes the build's).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=scripts/versions.sh
source "$ROOT/scripts/versions.sh"
export PATH="$ONCOATLAS_PATH:$PATH"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

STATE="$(mktemp -d /tmp/oncoatlas-demo-test.XXXXXX)"
export ONCOATLAS_STATE_DIR="$STATE"
NAME="demotest-$$"
OUT="$STATE.out"
FAILURES=0

cleanup() {
  bash "$ROOT/scripts/demo" down --name "$NAME" >/dev/null 2>&1 || true
  rm -rf "$STATE" "$OUT"
}
trap cleanup EXIT

fail() { printf 'FAIL: %s\n' "$*" >&2; FAILURES=$((FAILURES + 1)); }
pass() { printf 'ok: %s\n' "$*"; }
check() {  # check DESCRIPTION COMMAND...
  local what="$1"
  shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}

HUB="$STATE/controlplanes/$NAME/kubeconfig"
SITE="$STATE/controlplanes/$NAME-site/kubeconfig"
DEMO="$STATE/demos/$NAME"
NODES=(se-stockholm de-heidelberg it-milano)
declare -A CLUSTER=([se-stockholm]="$SITE" [de-heidelberg]="$SITE" [it-milano]="$HUB")
declare -A AGENT_NS=([se-stockholm]=oncoatlas-agent [de-heidelberg]=oncoatlas-agent [it-milano]=oncoatlas-agents)

# --- up ------------------------------------------------------------------------
start=$SECONDS
if ! bash "$ROOT/scripts/demo" up --name "$NAME" --timeout 150 >"$OUT" 2>&1; then
  cat "$OUT" >&2
  echo "FAIL: scripts/demo up exited with an error (output above)" >&2
  exit 1
fi
echo "scripts/demo up took $((SECONDS - start)) s"

# The node table, with kubectl's printer columns (-o wide adds Agent and Heartbeat).
check "the node table is printed" grep -Eq '^NAME +COUNTRY +TIER +READY +PHASE +DATASETS +AGENT +HEARTBEAT +AGE' "$OUT"
for node in "${NODES[@]}"; do
  check "$node is in the table as Ready" grep -Eq "^$node +[A-Z]{2} +[0-9] +True " "$OUT"
done

condition() {
  kubectl --kubeconfig "$HUB" get datanode "$1" -o "jsonpath={.status.conditions[?(@.type==\"$2\")].status}"
}
for node in "${NODES[@]}"; do
  for type in AgentDeployed AgentConnected PACSReachable Ready; do
    check "$node: $type=True" test "$(condition "$node" "$type")" = True
  done
  # The agent runs from exactly the ConfigMap the operator rendered, on the
  # node's own cluster (the site control plane for remote nodes).
  rendered="$(kubectl --kubeconfig "${CLUSTER[$node]}" -n "${AGENT_NS[$node]}" get configmap \
    "oncoatlas-agent-$node" -o 'jsonpath={.data.agent\.yaml}' && printf x)"
  used="$(cat "$DEMO/agents/$node/config/agent.yaml" && printf x)"
  check "$node: the agent's config is the rendered ConfigMap" test -n "${rendered%x}" -a "${rendered%x}" = "${used%x}"
  check "$node: its agent process runs" kill -0 "$(cat "$DEMO/agents/$node/agent.pid")"
  # The DataNode's PACS is its own loopback Orthanc, holding the synthetic studies.
  # shellcheck disable=SC1090
  source <(bash "$ROOT/e2e/orthanc" env --name "$NAME-$node")
  studies="$(curl --silent --fail --user "$ORTHANC_USERNAME:$(cat "$ORTHANC_PASSWORD_FILE")" "$ORTHANC_URL/statistics" |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["CountStudies"])')"
  expected=9
  [ "$node" != de-heidelberg ] || expected=10  # and the head MRI its brain-tumour-mri Dataset defaces
  check "$node: its Orthanc holds $expected synthetic studies (got ${studies:-none})" test "${studies:-0}" = "$expected"
  pacs="$(kubectl --kubeconfig "$HUB" get datanode "$node" -o 'jsonpath={.spec.pacs}')"
  names_orthanc() {
    /usr/bin/python3 -c '
import json, sys
p, url, port = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ok = ("dimse" in p and p["dimse"]["host"] == "127.0.0.1" and p["dimse"]["port"] == port) or \
     ("dicomweb" in p and p["dicomweb"]["url"] == url)
sys.exit(0 if ok else 1)' "$pacs" "$ORTHANC_DICOMWEB_URL" "$ORTHANC_DICOM_PORT"
  }
  check "$node: spec.pacs names that Orthanc" names_orthanc
done
# The defacing Dataset: the head MRI's 65 images stored (none quarantined) beside the 24 other MR images.
dataset_field() {
  kubectl --kubeconfig "$HUB" -n oncoatlas-node-de-heidelberg get dataset brain-tumour-mri -o "jsonpath=$1"
}
for _ in $(seq 1 90); do
  [ "$(dataset_field '{.status.phase}' 2>/dev/null)" = Ready ] && break
  sleep 1
done
check "brain-tumour-mri is Ready" test "$(dataset_field '{.status.phase}')" = Ready
check "brain-tumour-mri stored 89 instances, quarantined none (got $(dataset_field '{.status.counts.instances}')/$(dataset_field '{.status.quarantined.count}'))" \
  test "$(dataset_field '{.status.counts.instances}')/$(dataset_field '{.status.quarantined.count}')" = 89/0
check "the remote agents' objects are on the site cluster, not the hub" \
  test "$(kubectl --kubeconfig "$HUB" get configmap -A -l oncoatlas.io/node=se-stockholm -o name | wc -l)" = 0
check "the operator's log file is named in the output" grep -q "$DEMO/operator.log" "$OUT"
check "make demo-down is named in the output" grep -q "make demo-down" "$OUT"

# Every process the demo started, before it goes down.
pids=()
for f in "$DEMO/operator.pid" "$DEMO"/agents/*/agent.pid "$DEMO"/agents/*/syncer.pid \
  "$STATE"/pacs/*/orthanc.pid "$STATE"/controlplanes/*/pids/*.pid; do
  [ -f "$f" ] && pids+=("$(cat "$f")")
done
shm=()
for f in "$STATE"/controlplanes/*/etcd-data.path; do [ -f "$f" ] && shm+=("$(cat "$f")"); done
check "pid files of operator, 3 agents, 3 syncers, 3 Orthancs, 2x3 control-plane components" test "${#pids[@]}" -ge 16

# --- down ----------------------------------------------------------------------
if ! bash "$ROOT/scripts/demo" down --name "$NAME" >"$OUT" 2>&1; then
  cat "$OUT" >&2
  fail "scripts/demo down exited with an error"
fi
left=()
# A zombie has exited (it only waits for init to reap it), so it is not "left".
for pid in "${pids[@]}"; do pid_running "$pid" && left+=("$pid"); done
check "no process the demo started is left (left: ${left[*]:-none})" test "${#left[@]}" = 0
check "no process refers to the demo's state directory" test -z "$(pgrep -f "$STATE/" || true)"
check "no control plane, PACS or demo directory is left" \
  test -z "$(find "$STATE"/controlplanes "$STATE"/pacs "$STATE"/demos -mindepth 1 -maxdepth 1 2>/dev/null)"
for d in "${shm[@]}"; do check "etcd's data directory $d is gone" test ! -e "$d"; done
down_again() { bash "$ROOT/scripts/demo" down --name "$NAME" >/dev/null 2>&1; }
check "scripts/demo down again succeeds (idempotent)" down_again

if [ "$FAILURES" -gt 0 ]; then
  echo "$FAILURES check(s) failed" >&2
  exit 1
fi
echo "all checks passed"
