# shellcheck shell=bash
# Test helpers for the boot-sequence scripts (sourced by the scenarios that
# sequence.test.ts runs inside `unshare -n -m`): run the steps the way systemd would, in the
# plan's order, skipping a step whose ConditionPathExists= marker is missing, starting the
# daemon in the background, and stopping at the first step that fails.

HM_DAEMON_PIDS=()

# hm_run_steps ROOT STEPS: STEPS has "unit<TAB>condition<TAB>kind<TAB>script args" lines.
hm_run_steps() {
  local root=$1 steps=$2 unit condition kind command
  while IFS=$'\t' read -r unit condition kind command; do
    if [ "$condition" != - ] && [ ! -e "$root/run/hostmirror/$condition" ]; then
      echo "STEP $unit skipped"
      continue
    fi
    # Word splitting is wanted: the script and its arguments.
    # shellcheck disable=SC2086
    set -- $command
    if [ "$kind" = daemon ]; then
      "$root/usr/local/bin/$1" "${@:2}" >"$root/$unit.log" 2>&1 &
      HM_DAEMON_PIDS+=("$!")
      echo "STEP $unit started"
    elif "$root/usr/local/bin/$1" "${@:2}"; then
      echo "STEP $unit ok"
    else
      echo "STEP $unit failed"
      return 1
    fi
  done <"$steps"
}

hm_stop_daemons() {
  local pid
  for pid in "${HM_DAEMON_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  HM_DAEMON_PIDS=()
}

# Make the containers tools of this mount namespace read ROOT's /etc/containers and /etc/hosts.
hm_use_root_config() {
  local root=$1
  mkdir -p "$root/etc/containers"
  cp /etc/containers/policy.json "$root/etc/containers/policy.json"
  mount --bind "$root/etc/containers" /etc/containers
  mount --bind "$root/etc/hosts" /etc/hosts
}

# A listing of everything under the given folders: type, mode, size and sha256 of each file.
hm_tree_state() {
  local folder
  for folder in "$@"; do
    (cd "$folder" && find . -printf '%y %m %s %p\n' | LC_ALL=C sort &&
      find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
  done
}
