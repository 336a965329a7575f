# shellcheck shell=bash
# The HMR_* constants are read by the scripts that source this file.
# shellcheck disable=SC2034
# Shared by the rehearsal's guest scripts (tools/rehearsal/guest/, installed in
# /usr/local/lib/hostmirror-rehearsal by the rehearsal's Ignition config; sourced, never run).
# Every check result goes to the serial console as one line that tools/rehearse.sh greps:
#   HMR-CHECK <host> <phase> <check> PASS|FAIL <detail>
#   HMR-DONE <host> <phase> passed=<n> failed=<n>
readonly HMR_DIR=/etc/hostmirror-rehearsal
readonly HMR_STATE=/run/hostmirror-rehearsal
# shellcheck source=/dev/null
. "$HMR_DIR/refs.env"

# This host's name: the line of $HMR_DIR/hosts (mac name address) whose MAC one of our
# interfaces has.
hmr_host() {
  local mac name address interface
  while read -r mac name _; do
    for interface in /sys/class/net/*/address; do
      [ "$(cat "$interface")" = "$mac" ] && { printf '%s\n' "$name"; return 0; }
    done
  done <"$HMR_DIR/hosts"
  printf 'unknown\n'
}

# The rehearsal's instructions for this boot, from qemu's fw_cfg (-fw_cfg name=opt/...):
# space-separated words such as "scenario=registry-killed then=poweroff".
hmr_instructions() {
  local file=/sys/firmware/qemu_fw_cfg/by_name/opt/org.hostmirror.rehearsal/raw
  [ -r "$file" ] || modprobe qemu_fw_cfg 2>/dev/null || true
  cat "$file" 2>/dev/null || true
}
hmr_has() { case " $(hmr_instructions) " in *" $1 "*) return 0 ;; esac; return 1; }
# The value of instruction KEY=VALUE (empty when absent).
hmr_value() {
  local word
  for word in $(hmr_instructions); do
    case $word in "$1"=*) printf '%s\n' "${word#*=}"; return 0 ;; esac
  done
}

hmr_console() { printf '%s\n' "$*" >/dev/console; printf '%s\n' "$*"; }

HMR_PASSED=0 HMR_FAILED=0
# hmr_report PHASE CHECK PASS|FAIL DETAIL...
hmr_report() {
  local phase=$1 check=$2 result=$3
  shift 3
  if [ "$result" = PASS ]; then HMR_PASSED=$((HMR_PASSED + 1)); else HMR_FAILED=$((HMR_FAILED + 1)); fi
  hmr_console "HMR-CHECK $(hmr_host) $phase $check $result $*"
}
hmr_done() { hmr_console "HMR-DONE $(hmr_host) $1 passed=$HMR_PASSED failed=$HMR_FAILED"; }

# Monotonic microseconds at which a unit last became active (0: never).
hmr_active_since() { systemctl show -P ActiveEnterTimestampMonotonic "$1"; }
hmr_started_at() { systemctl show -P InactiveExitTimestampMonotonic "$1"; }
hmr_now_us() { awk '{ printf "%d\n", $1 * 1000000 }' /proc/uptime; }
