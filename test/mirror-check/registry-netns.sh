# shellcheck shell=bash
# Sourced by the scripts beside it: run the caller inside a private network and mount
# namespace (nothing can leave the machine), hide the system's and the user's containers
# configuration, and serve a docker-registry on loopback that is stopped when the caller exits.

REGISTRY_PORT=5000
# Paths removed when the caller exits (after the registry has stopped).
cleanup_paths=()

# enter_private_namespaces "$@": re-run the calling script under unshare, then bring up loopback
# and hide /etc/containers/registries.conf.d so system drop-ins cannot steer skopeo.
enter_private_namespaces() {
  if [ -z "${HM_IN_NETNS:-}" ]; then
    exec env HM_IN_NETNS=1 unshare --net --mount --propagation private "$0" "$@"
  fi
  ip link set lo up
  if [ -d /etc/containers/registries.conf.d ]; then mount -t tmpfs tmpfs /etc/containers/registries.conf.d; fi
}

# isolate_home DIR: a fresh $HOME, so no ~/.config/containers file is read.
isolate_home() {
  export HOME=$1
  mkdir -p "$HOME"
}

# closed_dns DIR: resolv.conf points at a closed loopback port, so other hosts fail at once.
closed_dns() {
  echo 'nameserver 127.0.0.1' >"$1/resolv.conf"
  mount --bind "$1/resolv.conf" /etc/resolv.conf
}

# start_registry CONFIG LOG: docker-registry serve CONFIG in the background (stopped on exit),
# and wait (up to 5 s) until it listens on REGISTRY_PORT.
start_registry() {
  docker-registry serve "$1" >"$2" 2>&1 &
  registry_pid=$!
  trap stop_registry EXIT
  for _ in $(seq 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$REGISTRY_PORT") 2>/dev/null; then return 0; fi
    sleep 0.025
  done
}

stop_registry() {
  local status=$?
  kill "$registry_pid" 2>/dev/null
  wait "$registry_pid" 2>/dev/null || true
  rm -rf -- "${cleanup_paths[@]}"
  exit "$status"
}
