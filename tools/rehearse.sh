#!/usr/bin/env bash
# The rehearsal: the whole mirror-mode flow on booted hosts, as dev-scripts would run it.
#
#   tools/rehearse.sh [--ignition EXTRA.ign]... [--logs DIR] [--scenario NAME]... [--hosts N]
#                     [--timeout SECONDS] [--keep]
#
# 1. tools/make-live-iso: a CoreOS-layout live ISO from Debian packages (cached), whose initrd
#    runs the real Ignition on the embedded config and switches into a systemd live root.
# 2. tools/rehearsal/generate.ts: the demo's oc-mirror archive, a compact cluster's
#    install-config/agent-config (node0 = the rendezvous IP, the other masters), and the
#    rehearsal's live config: each host's address by MAC, stand-ins for the agent units with
#    upstream's names and ordering, rehearsal-check.service.
# 3. `hostmirror build-iso` (node0 mode, and every-node mode for that scenario) from that live
#    ISO with every --ignition merged into the live config; `hostmirror volume prepare`.
# 4. Boots the hosts under qemu (TCG) inside a private network namespace (unshare -n, only
#    loopback up), connected only to each other by a qemu socket network over 127.0.0.1
#    (multicast). node0 gets the volume as its second disk (vdb; vda is the install disk).
#    Each host's serial console is appended to DIR/<host>.log (the every-node cluster's to
#    DIR/every-node/<host>.log); the hosts report every check there as
#    "HMR-CHECK <host> <phase> <check> PASS|FAIL <detail>".
#
# Scenarios (all by default, in this order):
#   live             every host pulls the release and a component image by digest through
#                    node0's mirror; agent.service and node-zero.service start only after
#                    hostmirror-ready.service; the agent console stand-in's pull succeeds
#   registry-killed  (same boot) node0's registry is SIGKILLed while the other hosts pull in a
#                    loop: it serves again within 10 s and no pull fails
#   installed        the hosts power off, get an install disk (the live root plus the build's
#                    master MachineConfig applied by the real Ignition at its first boot from
#                    disk), boot from it and pull again, node0 serving from its volume
#   node0-down       (same boot as installed) once every other host copied node0's storage
#                    (hostmirror-sync.service), node0 is powered off and every other host still
#                    pulls the release and a component by digest, from its own registry
#   every-node       an every-node build: each host has its own volume and pulls locally; its
#                    hosts boot on a network of their own after the installed hosts
# The boot sets run one after the other, so that no more VMs than hosts compete for the cores
# (TCG is CPU-bound: more VMs at once only slow each down). Exit 0 only when every scenario's
# checks pass; one summary line per scenario, then one line per host and boot with where the
# time went (before the kernel's clock, kernel, initrd with Ignition, root, checks, power-off,
# and the qemu process's CPU seconds). On a failure it prints the failing checks and the tail
# of each failing host's console.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
all_scenarios=(live registry-killed installed node0-down every-node)
default_scenarios=("${all_scenarios[@]}")

usage() {
  sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
ignitions=() scenarios=() logs='' hosts=2 timeout=${HOSTMIRROR_REHEARSAL_TIMEOUT:-1200} keep=0 in_netns=0
while [ $# -gt 0 ]; do
  case "$1" in
    --ignition) ignitions+=("$(realpath "${2:?}")"); shift 2 ;;
    --logs) logs=${2:?}; shift 2 ;;
    --scenario) scenarios+=("${2:?}"); shift 2 ;;
    --hosts) hosts=${2:?}; shift 2 ;;
    --timeout) timeout=${2:?}; shift 2 ;;
    --keep) keep=1; shift ;;
    --in-netns) in_netns=1; shift ;;
    *) usage ;;
  esac
done
[ ${#scenarios[@]} -gt 0 ] || scenarios=("${default_scenarios[@]}")
for scenario in "${scenarios[@]}"; do
  case " ${all_scenarios[*]} " in *" $scenario "*) ;; *) echo "rehearse: unknown scenario $scenario (${all_scenarios[*]})" >&2; exit 2 ;; esac
done
log() { printf '[rehearse %s] %s\n' "$(date +%T)" "$*" >&2; }
selected() { case " ${scenarios[*]} " in *" $1 "*) return 0 ;; esac; return 1; }
# node0-down runs in the installed boot.
if selected node0-down && ! selected installed; then scenarios+=(installed); fi

# Outside the namespace: the live ISO (apt may need the network), then re-run inside it.
if [ "$in_netns" = 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "rehearse: run as root (unshare -n, mmdebstrap)" >&2; exit 1; }
  for tool in qemu-system-x86_64 qemu-img unshare xorriso unsquashfs mkfs.ext4 cpio docker-registry; do
    command -v "$tool" >/dev/null || { echo "rehearse: $tool is missing (tools/install-system-deps.sh)" >&2; exit 1; }
  done
  export HMR_LIVE_ISO
  HMR_LIVE_ISO=$(bash "$root"/tools/make-live-iso --quiet)
  logs=${logs:-$(mktemp -d /tmp/hostmirror-rehearsal-logs.XXXXXX)}
  mkdir -p "$logs"
  args=(--in-netns --logs "$(realpath "$logs")" --hosts "$hosts" --timeout "$timeout")
  for ignition in "${ignitions[@]}"; do args+=(--ignition "$ignition"); done
  for scenario in "${scenarios[@]}"; do args+=(--scenario "$scenario"); done
  [ "$keep" = 0 ] || args+=(--keep)
  exec unshare -n -- bash "$0" "${args[@]}"
fi

ip link set lo up
PATH="$(bash "$root"/tools/ensure-pnpm.sh):$PATH"
export PATH
work=$(mktemp -d /tmp/hostmirror-rehearsal.XXXXXX)
qemu_pids=()
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  local pid
  for pid in "${qemu_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ "$keep" = 0 ]; then rm -rf "$work"; else log "kept $work"; fi
}
trap cleanup EXIT
# Stopped (a test's time limit, ^C): the EXIT trap stops the VMs.
trap 'exit 143' TERM INT HUP
cd "$root"
started=$SECONDS
log "scenarios: ${scenarios[*]}"

log "inputs: demo archive, compact cluster configs, $hosts hosts"
node --import tsx tools/rehearsal/generate.ts inputs "$work/inputs" --hosts "$hosts"
mapfile -t host_lines <"$work/inputs/hosts"
extra=(--ignition "$work/inputs/rehearsal-live.ign")
for ignition in "${ignitions[@]}"; do extra+=(--ignition "$ignition"); done

build() { # MODE: the mirror-mode ISO and manifests of that mode into $work/MODE/
  local mode=$1 t0=$SECONDS
  mkdir -p "$work/$mode"
  pnpm run --silent hostmirror build-iso --iso "$HMR_LIVE_ISO" \
    --install-config "$work/inputs/install-config.yaml" --agent-config "$work/inputs/agent-config.yaml" \
    --mirror "$work/inputs/mirror" --registry-binary /usr/bin/docker-registry --mode "$mode" \
    --manifests-dir "$work/$mode/manifests" --report "$work/$mode/report.json" \
    "${extra[@]}" -o "$work/$mode/hostmirror.iso" -f >"$work/$mode/build.log" 2>&1 ||
    { cat "$work/$mode/build.log" >&2; log "build-iso --mode $mode failed"; exit 1; }
  log "build-iso --mode $mode: $((SECONDS - t0)) s"
}

volume_image() {
  [ -s "$work/volume.img" ] && return
  pnpm run --silent hostmirror volume prepare --mirror "$work/inputs/mirror" --image "$work/volume.img" >/dev/null
}

# The serial console file of HOST in boot set SET: the every-node cluster is another cluster
# (its own build, its own network), booted while the node0 cluster's hosts run, so its hosts
# write to a folder of their own.
log_of() { if [ "$1" = every-node ]; then printf '%s/every-node/%s.log' "$logs" "$2"; else printf '%s/%s.log' "$logs" "$2"; fi; }

# The ISO as a CD on a virtio-scsi controller, the boot device. On the default IDE (ATAPI)
# CD, SeaBIOS and isolinux read the kernel and initrd through the emulated PIO path: at load
# 17 one host took 158 s from qemu's start to the kernel's first line, against 58 s on
# virtio-scsi beside it (the same ISO, the same moment). Both initrds have virtio_scsi and sr_mod.
cd_args() {
  printf '%s\n' -device virtio-scsi-pci,id=scsi0 \
    -drive "file=$1,if=none,id=cd0,media=cdrom,readonly=on,format=raw" \
    -device scsi-cd,bus=scsi0.0,drive=cd0,bootindex=0
}

# One host's qemu in the background. boot_host SET HOST MAC INSTRUCTIONS QEMU-OPTIONS...
# Each set has its own socket network (the every-node cluster's hosts have the same MACs and
# addresses as the node0 cluster's). Every host is told which hosts boot (booted=node0+node1:
# a comma would end qemu's -fw_cfg option).
declare -A host_pid host_started host_cpu host_done_at host_exit_at
boot_host() {
  local set=$1 host=$2 mac=$3 instructions="$4 booted=$booted" log port=$mcast_port
  shift 4
  log=$(log_of "$set" "$host")
  mkdir -p "$(dirname "$log")"
  [ "$set" != every-node ] || port=$((mcast_port + 1))
  printf '\n=== rehearse: %s %s ===\n' "$set" "$host" >>"$log"
  host_started[$set/$host]=$EPOCHREALTIME
  qemu-system-x86_64 -accel tcg,thread=multi -m 1280 -smp 1 -nodefaults -display none -monitor none -no-reboot \
    -chardev "file,id=serial0,path=$log,append=on" -serial chardev:serial0 \
    -netdev "socket,id=net0,mcast=230.0.0.1:$port,localaddr=127.0.0.1" \
    -device "virtio-net-pci,netdev=net0,mac=$mac" \
    -fw_cfg "name=opt/org.hostmirror.rehearsal,string=$instructions" \
    "$@" >>"$work/qemu-$set-$host.err" 2>&1 &
  qemu_pids+=($!)
  host_pid[$set/$host]=$!
}

# The console of HOST since the start of boot set SET.
console_of() { awk -v mark="=== rehearse: $1 $2 ===" 'index($0, mark) { buffer = ""; next } { buffer = buffer $0 "\n" } END { printf "%s", buffer }' "$(log_of "$1" "$2")" | tr -d '\r'; }

# While another host's registry-killed pull loop runs (from its "pull loop starts" line to its
# pulls-while-killed result), its VM runs at nice 5, every qemu thread: the restart is timed on
# node0 meanwhile, and on one shared machine that busy client's emulation would take CPU a real
# node0 (a machine of its own) never shares. With a core per VM (the CI box) it changes nothing.
declare -A reniced
deprioritize_pull_loops() {
  local name text task want
  for name in $(hosts_of_phase node0-down); do # every host but node0
    text=$(console_of live "$name")
    want=0
    if grep -qa "HMR-INFO $name pull loop starts" <<<"$text" && ! grep -qa "HMR-CHECK $name live pulls-while-killed" <<<"$text"; then want=5; fi
    [ "${reniced[$name]:-0}" != "$want" ] || continue
    for task in /proc/"${host_pid[live/$name]}"/task/*; do renice -n "$want" -p "${task##*/}" >/dev/null 2>&1 || true; done
    reniced[$name]=$want
    log "live $name: its VM at nice $want ($([ "$want" = 5 ] && echo 'its pull loop runs while node0 restarts its registry' || echo 'pull loop over'))"
  done
}

# The hosts that report in PHASE: node0 takes no part in synced and node0-down.
hosts_of_phase() {
  local entry name
  for entry in "${host_lines[@]}"; do
    name=$(cut -d' ' -f2 <<<"$entry")
    case $1 in synced | node0-down) [ "$name" != node0 ] || continue ;; esac
    printf '%s\n' "$name"
  done
}

# The qemu process's user+system CPU seconds so far (clock ticks of /proc/PID/stat), kept in
# host_cpu[SET/HOST] while it runs: after it exits, /proc has nothing left to read.
sample_cpu() {
  local key=$1 pid=${host_pid[$1]} stat ticks
  read -r stat 2>/dev/null <"/proc/$pid/stat" || return 0
  stat=${stat##*) }
  read -r -a ticks <<<"$stat"
  host_cpu[$key]=$(((ticks[11] + ticks[12]) / clock_ticks))
}
clock_ticks=$(getconf CLK_TCK)

# Wait until every host of each boot set reports HMR-DONE for the set's phase, or fails (no
# HMR-DONE within --timeout of the set's start, a crash, an emergency shell: that set fails,
# the others go on); then, for a set that powers off, until qemu exits, and unless KEEP, stop
# the set's qemus. wait_sets SET:PHASE:POWEROFF[:keep]... Sets set_seconds[SET] to the
# seconds it took from set_started[SET] and set_ok[SET] to 1 or 0.
declare -A set_started set_seconds set_ok
wait_sets() {
  local spec set phase poweroff keep name pending text until
  local -A waiting=()
  for spec in "$@"; do waiting[$spec]=1; done
  while [ ${#waiting[@]} -gt 0 ]; do
    for spec in "${!waiting[@]}"; do
      IFS=: read -r set phase poweroff keep <<<"$spec"
      pending=0 set_ok[$set]=1
      [ "$set" != live ] || ! selected registry-killed || deprioritize_pull_loops
      for name in $(hosts_of_phase "$phase"); do
        sample_cpu "$set/$name"
        # Into a variable first: `console_of | grep -q` fails under pipefail when grep exits
        # early and console_of gets SIGPIPE (a long console then looked unfinished).
        text=$(console_of "$set" "$name")
        if grep -qa "HMR-DONE $name $phase " <<<"$text"; then
          [ -n "${host_done_at[$set/$name]:-}" ] || host_done_at[$set/$name]=$EPOCHREALTIME
          continue
        fi
        if grep -qaE 'Kernel panic|Emergency Mode|Failed to start .*Ignition|Failed to mount .*sysroot' <<<"$text"; then
          log "$set $name: the boot failed (see $(log_of "$set" "$name"))"; set_ok[$set]=0; break
        fi
        if ! kill -0 "${host_pid[$set/$name]}" 2>/dev/null; then
          log "$set $name: qemu exited before its $phase checks finished"; set_ok[$set]=0; break
        fi
        if [ "$SECONDS" -ge $((set_started[$set] + timeout)) ]; then
          log "$set $name: timeout after ${timeout} s waiting for its $phase checks"; set_ok[$set]=0; break
        fi
        pending=$((pending + 1))
      done
      [ "${set_ok[$set]}" = 0 ] || [ "$pending" = 0 ] || continue
      unset "waiting[$spec]"
      if [ "${set_ok[$set]}" = 1 ] && [ "$poweroff" = 1 ]; then
        until=$((SECONDS + 300))
        for name in $(hosts_of_phase "$phase"); do
          while kill -0 "${host_pid[$set/$name]}" 2>/dev/null && [ "$SECONDS" -lt "$until" ]; do
            sample_cpu "$set/$name"
            sleep 1
          done
          kill -0 "${host_pid[$set/$name]}" 2>/dev/null || host_exit_at[$set/$name]=$EPOCHREALTIME
        done
      fi
      set_seconds[$set]=$((SECONDS - set_started[$set]))
      if [ "${set_ok[$set]}" = 0 ] || [ "$keep" != keep ]; then
        for name in $(hosts_of_phase live); do
          kill "${host_pid[$set/$name]}" 2>/dev/null || true
          wait "${host_pid[$set/$name]}" 2>/dev/null || true
        done
      fi
      log "$set: $phase done in ${set_seconds[$set]} s ($([ "${set_ok[$set]}" = 1 ] && echo 'every host finished its checks' || echo 'FAILED'))"
    done
    [ ${#waiting[@]} -eq 0 ] || sleep 2
  done
}

# Where each host's time went in boot set SET, from its HMR-PHASES line (the guest's own
# monotonic clock) and what this script saw: firmware+loader+unxz (the firmware, the boot
# loader, and the kernel's own XZ decompression, before its clock starts) = the start of the
# guest kernel's clock (its wall clock, qemu's RTC) minus qemu's start; power-off = HMR-DONE
# seen to qemu's exit.
print_phases() {
  local set=$1 name line epoch kernel initrd ignition root checks firmware poweroff
  for name in $(hosts_of_phase live); do
    line=$(console_of "$set" "$name" | grep -a "^HMR-PHASES $name " | tail -n1 || true)
    epoch='' kernel='?' initrd='?' ignition='?' root='?' checks='?'
    for word in $line; do
      case $word in
        boot-epoch=*) epoch=${word#*=} ;; kernel=*) kernel=${word#*=} ;; initrd=*) initrd=${word#*=} ;;
        ignition=*) ignition=${word#*=} ;; root=*) root=${word#*=} ;; checks=*) checks=${word#*=} ;;
      esac
    done
    firmware='?' poweroff='-'
    [ -z "$epoch" ] || firmware=$(awk -v e="$epoch" -v s="${host_started[$set/$name]}" 'BEGIN { printf "%.0f", e - s }')
    [ -z "${host_exit_at[$set/$name]:-}" ] || [ -z "${host_done_at[$set/$name]:-}" ] ||
      poweroff=$(awk -v x="${host_exit_at[$set/$name]}" -v d="${host_done_at[$set/$name]}" 'BEGIN { printf "%.0f s", x - d }')
    printf 'phases %-10s %-6s firmware+loader+unxz %4s s, kernel %3s s, initrd %4s s (Ignition %s s), root %4s s, checks %4s s, power-off %s; qemu CPU %s s\n' \
      "$set" "$name" "$firmware" "$kernel" "$initrd" "$ignition" "$root" "$checks" "$poweroff" "${host_cpu[$set/$name]:-?}"
  done
}

# Print the result of SCENARIO from the checks of boot set SET: each host that reports in
# PHASE (hosts_of_phase), its HMR-CHECK lines of that phase matching PATTERN.
declare -A results
scenario_result() {
  local scenario=$1 set=$2 phase=$3 pattern=$4 seconds=$5 boot_ok=$6 name passed failed all=PASS detail='' text
  local failing=()
  for name in $(hosts_of_phase "$phase"); do
    text=$(console_of "$set" "$name")
    passed=$(grep -acE "HMR-CHECK $name $phase ($pattern) PASS" <<<"$text" || true)
    failed=$(grep -acE "HMR-CHECK $name $phase ($pattern) FAIL" <<<"$text" || true)
    detail+=" $name $passed/$((passed + failed))"
    if [ "$failed" -gt 0 ] || [ "$passed" -eq 0 ] || [ "$boot_ok" != 1 ]; then
      all=FAIL failing+=("$name")
      grep -aE "HMR-CHECK $name $phase ($pattern) FAIL" <<<"$text" | sed 's/^/  /' >&2 || true
    fi
  done
  results[$scenario]=$all
  printf 'scenario %-16s %s in %4d s (checks passed:%s)\n' "$scenario" "$all" "$seconds" "$detail"
  for name in "${failing[@]}"; do
    echo "--- $scenario: last 40 console lines of $name ($(log_of "$set" "$name")) ---" >&2
    # Up to its last HMR-DONE line when there is one (after it comes only a power-off).
    console_of "$set" "$name" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' |
      awk '{ line[NR] = $0 } /HMR-DONE / { last = NR } END { if (last == 0) last = NR; for (i = (last > 40 ? last - 39 : 1); i <= last; i++) print line[i] }' >&2
  done
}

mcast_port=$((20000 + $$ % 20000))
booted=$(for entry in "${host_lines[@]}"; do cut -d' ' -f2 <<<"$entry"; done | paste -sd+)
live_checks='gate-[a-z.-]+|console-pull|registry-address|release|component'
kill_checks='registry-killed|pulls-while-killed'
installed_checks='registry-address|release|component|serves-from-volume'
node0_down_checks='node0-off|registry-address|release|component'

# Both builds first (seconds each).
set_a=0
if selected live || selected registry-killed || selected installed; then set_a=1; build node0; fi
selected every-node && build every-node
volume_image

# Boot set A: node0 mode, live (and registry-killed), then installed (and node0-down).
if [ "$set_a" = 1 ]; then
  xorriso -osirrox on -indev "$HMR_LIVE_ISO" -extract /images/pxeboot "$work/pxe" >/dev/null 2>&1
  instructions='boot=live '
  selected registry-killed && instructions+='scenario=registry-killed '
  poweroff=0
  if selected installed; then instructions+='then=poweroff '; poweroff=1; fi
  set_started[live]=$SECONDS
  mapfile -t cd < <(cd_args "$work/node0/hostmirror.iso")
  for entry in "${host_lines[@]}"; do
    read -r mac name _ <<<"$entry"
    mkdir -p "$work/hosts/$name"
    qemu-img create -q -f qcow2 "$work/hosts/$name/disk.qcow2" 4G
    disks=(-drive "file=$work/hosts/$name/disk.qcow2,if=virtio,format=qcow2")
    if [ "$name" = node0 ]; then
      qemu-img create -q -f qcow2 -F raw -b "$work/volume.img" "$work/hosts/$name/volume.qcow2"
      disks+=(-drive "file=$work/hosts/$name/volume.qcow2,if=virtio,format=qcow2")
    fi
    boot_host live "$name" "$mac" "${instructions% }" "${cd[@]}" "${disks[@]}"
  done
  # The install disk is made while the live hosts boot.
  if selected installed; then
    # The install: the live root on an ext4 disk labelled root, and the installed-phase config
    # (the build's master MachineConfig, MCO's registries.conf from the build's IDMS/ITMS and
    # the rehearsal's checks) for its first boot, which the real Ignition in the initrd applies
    # (the kernel and initrd of the live ISO, booted directly; RHCOS boots its own from /boot).
    unsquashfs -q -no-progress -d "$work/installed-root" "$work/pxe/rootfs.img" >/dev/null
    mkfs.ext4 -q -L root -d "$work/installed-root" "$work/installed-root.img" 3G >/dev/null
    rm -rf "$work/installed-root"
    node --import tsx tools/rehearsal/generate.ts installed "$work/inputs" "$work/node0/manifests" "$work/installed.ign"
    mkdir -p "$work/installed-cpio"
    cp "$work/installed.ign" "$work/installed-cpio/config.ign"
    cp "$work/pxe/initrd.img" "$work/installed-initrd.img"
    truncate -s %4 "$work/installed-initrd.img"
    (cd "$work/installed-cpio" && printf 'config.ign\n' | cpio -o -H newc -R 0:0 --quiet | gzip -n) >>"$work/installed-initrd.img"
  fi
  wait_sets "live:live:$poweroff"
  selected live && scenario_result live live live "$live_checks" "${set_seconds[live]}" "${set_ok[live]}"
  if selected registry-killed; then
    scenario_result registry-killed live live "$kill_checks" "${set_seconds[live]}" "${set_ok[live]}"
    # The restart's figures on the script's own output (a CI log has no consoles): each host's
    # result and node0's journal lines of the restart.
    for name in $(hosts_of_phase live); do
      console_of live "$name" | grep -aE "^HMR-CHECK $name live ($kill_checks) |^HMR-INFO $name registry restart: " |
        sed -E 's/^HMR-INFO [^ ]+ registry restart: ([A-Z][a-z]{2} [0-9]+ )?/    /; s/^/  /' || true
    done
  fi
  print_phases live

  if selected installed; then
    installed_instructions='phase=installed'
    selected node0-down && installed_instructions+=' scenario=node0-down'
    set_started[installed]=$SECONDS
    for entry in "${host_lines[@]}"; do
      read -r mac name _ <<<"$entry"
      qemu-img create -q -f qcow2 -F raw -b "$work/installed-root.img" "$work/hosts/$name/disk.qcow2"
      disks=(-drive "file=$work/hosts/$name/disk.qcow2,if=virtio,format=qcow2")
      [ "$name" != node0 ] || disks+=(-drive "file=$work/hosts/$name/volume.qcow2,if=virtio,format=qcow2")
      boot_host installed "$name" "$mac" "$installed_instructions" -kernel "$work/pxe/vmlinuz" -initrd "$work/installed-initrd.img" \
        -append "root=LABEL=root rw console=ttyS0,115200n8 no_timer_check ignition.firstboot ignition.platform.id=metal rd.emergency=poweroff systemd.show_status=1" \
        "${disks[@]}"
    done
    if selected node0-down; then
      wait_sets installed:installed:0:keep
      scenario_result installed installed installed "$installed_checks" "${set_seconds[installed]}" "${set_ok[installed]}"
      # node0-down: once every other host copied node0's storage and serves it, node0 goes off
      # (its qemu killed: the power cord, not a shutdown), and the others pull again.
      if [ "${set_ok[installed]}" = 1 ]; then
        # The copy gets a --timeout of its own, from the end of the installed checks.
        set_started[installed]=$SECONDS
        wait_sets installed:synced:0:keep
        scenario_result node0-down-sync installed synced synced "${set_seconds[installed]}" "${set_ok[installed]}" >/dev/null
        for name in $(hosts_of_phase synced); do
          console_of installed "$name" | grep -a "^HMR-CHECK $name synced " | sed 's/^/  /' >&2 || true
        done
      fi
      node0_down_ok=0
      if [ "${set_ok[installed]}" = 1 ] && [ "${results[node0-down-sync]}" = PASS ]; then
        down_at=$EPOCHREALTIME down_started=$SECONDS set_started[installed]=$SECONDS
        kill -KILL "${host_pid[installed/node0]}"
        wait "${host_pid[installed/node0]}" 2>/dev/null || true
        log "installed: every other host serves its copy; node0 powered off (qemu killed)"
        wait_sets installed:node0-down:0
        node0_down_ok=${set_ok[installed]}
        # Each host saw node0 gone only after it was: a pull before the power-off proves nothing.
        for name in $(hosts_of_phase node0-down); do
          gone=$(console_of installed "$name" | awk -v h="$name" '$1 == "HMR-NODE0-GONE" && $2 == h { print $3 }' | tail -n1)
          if [ -z "$gone" ] || ! awk -v g="$gone" -v d="$down_at" 'BEGIN { exit !(g + 2 >= d) }'; then
            log "node0-down $name: node0 was seen gone at '${gone:-never}', before it was powered off at $down_at"
            node0_down_ok=0
          fi
        done
      else
        log "node0-down: not run, the installed boot or the copy to the other hosts failed (above)"
        for name in $(hosts_of_phase node0-down); do
          console_of installed "$name" | grep -aE "HMR-CHECK $name synced FAIL" | sed 's/^/  /' >&2 || true
        done
        down_started=$SECONDS
        for name in $(hosts_of_phase live); do kill "${host_pid[installed/$name]}" 2>/dev/null || true; done
      fi
      scenario_result node0-down installed node0-down "$node0_down_checks" "$((SECONDS - down_started))" "$node0_down_ok"
    else
      wait_sets installed:installed:0
      scenario_result installed installed installed "$installed_checks" "${set_seconds[installed]}" "${set_ok[installed]}"
    fi
    print_phases installed
  fi
fi

# Boot set B: every-node mode, each host with its own volume, on a network of its own.
if selected every-node; then
  set_started[every-node]=$SECONDS
  mapfile -t cd < <(cd_args "$work/every-node/hostmirror.iso")
  for entry in "${host_lines[@]}"; do
    read -r mac name _ <<<"$entry"
    mkdir -p "$work/hosts/$name"
    qemu-img create -q -f qcow2 "$work/hosts/$name/every-disk.qcow2" 4G
    qemu-img create -q -f qcow2 -F raw -b "$work/volume.img" "$work/hosts/$name/every-volume.qcow2"
    boot_host every-node "$name" "$mac" "scenario=every-node" "${cd[@]}" \
      -drive "file=$work/hosts/$name/every-disk.qcow2,if=virtio,format=qcow2" \
      -drive "file=$work/hosts/$name/every-volume.qcow2,if=virtio,format=qcow2"
  done
  wait_sets every-node:live:0
  scenario_result every-node every-node live "$live_checks" "${set_seconds[every-node]}" "${set_ok[every-node]}"
  print_phases every-node
fi

status=0
for scenario in "${scenarios[@]}"; do [ "${results[$scenario]:-FAIL}" = PASS ] || status=1; done
log "$([ "$status" = 0 ] && echo 'all scenarios passed' || echo 'FAILED'); logs in $logs; $((SECONDS - started)) s"
exit "$status"
