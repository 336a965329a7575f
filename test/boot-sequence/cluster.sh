# shellcheck shell=bash
# Test helpers for several hosts on one private network (sourced, with steps.sh, inside the
# `unshare -n -m` of support.ts inNamespace): each host is its own network namespace, held by a
# `sleep` process, joined to a bridge by a veth pair, with its own /etc/hosts and
# /etc/containers (its root's) in a private mount namespace whenever something runs on it.
# Every process started here is recorded and stopped by hm_cluster_stop.

declare -A HM_HOST_PID=()
HM_CLUSTER_PIDS=()

# hm_cluster_bridge: the network the hosts share (a bridge in the outer namespace).
hm_cluster_bridge() {
  ip link add hmbr0 type bridge
  ip link set hmbr0 up
}

# hm_host_up NAME ADDRESS/PREFIX: a host (network namespace) on the bridge with that address.
hm_host_up() {
  local name=$1 address=$2 pid
  unshare -n sleep 100000 &
  pid=$!
  HM_CLUSTER_PIDS+=("$pid")
  HM_HOST_PID[$name]=$pid
  # unshare(1) makes the namespace after the fork: wait until the process is in a new one.
  local tries=0
  until [ "$(readlink "/proc/$pid/ns/net")" != "$(readlink /proc/self/ns/net)" ]; do
    tries=$((tries + 1))
    [ "$tries" -lt 500 ] || { echo "host $name: no network namespace of its own after 50 s" >&2; return 1; }
    sleep 0.1
  done
  ip link add "hm-$name" type veth peer name eth0 netns "$pid"
  ip link set "hm-$name" master hmbr0 up
  nsenter -t "$pid" -n ip link set lo up
  nsenter -t "$pid" -n ip address add "$address" dev eth0
  nsenter -t "$pid" -n ip link set eth0 up
}

# hm_host_off NAME: the host vanishes from the network, as if powered off (its link is gone:
# packets to it get no answer; the kernel's neighbour resolution fails after a few seconds).
hm_host_off() {
  ip link del "hm-$1"
}

# hm_on NAME ROOT SCRIPT: source the bash file SCRIPT on host NAME, with ROOT's /etc/hosts and
# /etc/containers as the system's (so skopeo reads the host's registries.conf, certs.d and hosts
# file) and steps.sh sourced. Daemons it starts keep running; their process ids are appended to
# ROOT/../daemons for hm_cluster_stop.
hm_on() {
  local name=$1 root=$2 script=$3
  nsenter -t "${HM_HOST_PID[$name]}" -n unshare -m --propagation private bash -c "
set -euo pipefail
source '$HM_TEST_DIR/steps.sh'
hm_use_root_config '$root'
source '$script'
printf '%s\\n' \"\${HM_DAEMON_PIDS[@]}\" >> '$root/../daemons'
"
}

hm_cluster_stop() {
  local pid file
  for file in "$HM_WORK"/*/daemons; do
    [ -e "$file" ] || continue
    while read -r pid; do
      [ -n "$pid" ] || continue
      kill "$pid" 2>/dev/null || true
    done <"$file"
  done
  for pid in "${HM_CLUSTER_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
