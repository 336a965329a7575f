#!/bin/bash
# The rehearsal's checks on a booted host (rehearsal-check.service, ordered after the
# mirror's units and the agent stand-ins). Results go to the serial console
# (rehearsal-lib.sh); tools/rehearse.sh decides from them.
set -uo pipefail
# shellcheck source=rehearsal-lib.sh
. /usr/local/lib/hostmirror-rehearsal/rehearsal-lib.sh
# shellcheck source=/dev/null
. /etc/hostmirror/hostmirror.env
phase=${HOSTMIRROR_PHASE:-unknown}
HMR_STATE_DIR=${HOSTMIRROR_STATE_DIR:-/run/hostmirror}
mode=${HOSTMIRROR_MODE:-unknown}
host=$(hmr_host)
work=/var/tmp/hostmirror-rehearsal
mkdir -p "$HMR_STATE" "$work"
read -r checks_started _ </proc/uptime
hmr_console "HMR-INFO $host checks start: phase=$phase mode=$mode instructions=[$(hmr_instructions)] uptime=${checks_started}s"

# pull NAME REF: copy the image by digest through containers' registries.conf (the mirror)
# and compare the manifest's sha256 with the digest asked for.
pull() {
  local name=$1 ref=$2 target digest actual
  target=$work/$name
  rm -rf "$target"
  digest=${ref##*@}
  if ! skopeo copy --retry-times 3 --quiet "docker://$ref" "dir:$target" >"$work/$name.log" 2>&1; then
    hmr_report "$phase" "$name" FAIL "skopeo copy docker://$ref: $(tail -n1 "$work/$name.log")"
    return
  fi
  actual=sha256:$(sha256sum "$target/manifest.json" | cut -c1-64)
  if [ "$actual" = "$digest" ]; then
    hmr_report "$phase" "$name" PASS "by digest $digest ($(find "$target" -type f | wc -l) files)"
  else
    hmr_report "$phase" "$name" FAIL "manifest sha256 $actual, asked for $digest"
  fi
}

# The registry this host reaches: the /etc/hosts alias the configure step wrote. A host with
# the volume serves itself (127.0.0.1); an installed control-plane node that copied node0's
# storage (the sync step: state `copy`) serves itself once its configure step ran again, and
# pulled from node0 until then, so either is right while it switches over.
where() {
  local address expected=$HMR_RENDEZVOUS_IP why='node0 serves'
  address=$(getent hosts "$HOSTMIRROR_REGISTRY_NAME" | awk '{ print $1; exit }')
  if [ -e "$HMR_STATE_DIR/copy" ]; then
    expected="127.0.0.1 $HMR_RENDEZVOUS_IP" why='this host serves its copy of node0'"'"'s storage'
    [ "$address" = 127.0.0.1 ] || why='node0 serves until this host has switched to its copy'
  elif [ -e "$HMR_STATE_DIR/serve" ]; then
    expected=127.0.0.1 why='this host serves'
  fi
  if [ -n "$address" ] && [[ " $expected " == *" $address "* ]]; then
    hmr_report "$phase" registry-address PASS "$HOSTMIRROR_REGISTRY_NAME is $address ($why)"
  else
    hmr_report "$phase" registry-address FAIL "$HOSTMIRROR_REGISTRY_NAME is '${address:-unresolved}', expected ${expected// / or }"
  fi
}

# A gated unit started only after hostmirror-ready.service became active.
gate() {
  local unit=$1 ready started
  ready=$(hmr_active_since hostmirror-ready.service)
  started=$(hmr_started_at "$unit")
  if ! systemctl show -P After "$unit" | tr ' ' '\n' | grep -qx hostmirror-ready.service; then
    hmr_report "$phase" "gate-$unit" FAIL "$unit is not ordered after hostmirror-ready.service"
  elif [ "${ready:-0}" -gt 0 ] && [ "${started:-0}" -ge "$ready" ]; then
    hmr_report "$phase" "gate-$unit" PASS "started $(((started - ready) / 1000)) ms after hostmirror-ready.service"
  else
    hmr_report "$phase" "gate-$unit" FAIL "started at ${started:-?} us, hostmirror-ready.service active at ${ready:-never} us ($(systemctl show -P ActiveState "$unit"))"
  fi
}

console() {
  if [ -s "$HMR_STATE/console.pulled" ]; then
    hmr_report "$phase" console-pull PASS "the agent console's release pull succeeded after $(cat "$HMR_STATE/console.pulled") s"
  else
    hmr_report "$phase" console-pull FAIL "agent-interactive-console.service is $(systemctl show -P ActiveState agent-interactive-console.service)"
  fi
}

# registry-killed: node0 kills its registry once another host is pulling, and it must serve
# again within 10 s; the other hosts pull in a loop meanwhile and no pull may fail.
# The other hosts announce their pull loop with a request for a repository no archive has
# (hostmirror-rehearsal/pull-loop-<host>), which the registry logs; node0 waits for it, so it
# never kills its registry under another host's own readiness probe. They announce the end of
# the loop the same way (hostmirror-rehearsal/pull-loop-done-<host>): node0 serves until then.
readonly LOOP_REPOSITORY=hostmirror-rehearsal/pull-loop
# The pull loop's length: the kill comes about 2 s after it starts and the registry must serve
# again within 10 s, so at least 18 s of pulls follow a restart that keeps its bound.
readonly PULL_WINDOW=${HMR_PULL_WINDOW:-30}
# The other booted hosts whose pull loop has not been announced (in the registry's journal).
loops_missing() {
  local name missing=''
  journalctl --no-pager -q -u hostmirror-registry.service >"$work/registry.journal" 2>/dev/null || true
  for name in $(hmr_value booted | tr '+' ' '); do
    [ "$name" = "$host" ] || grep -q "$LOOP_REPOSITORY-$name/" "$work/registry.journal" || missing+=" $name"
  done
  printf '%s' "$missing"
}
killer() {
  local deadline=$((SECONDS + 300)) start waited t0 pause request curl_pid main_pid wchan='' url answered=0 missing
  # Every other host's loop runs before the kill (with three hosts, the second one may start
  # later); after 300 s, those that did.
  while missing=$(loops_missing) && [ -n "$missing" ]; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      grep -q "$LOOP_REPOSITORY-" "$work/registry.journal" || { hmr_report "$phase" registry-killed FAIL "no other host started its pull loop within 300 s"; return; }
      hmr_console "HMR-INFO $host killing without the pull loop of:$missing (not announced within 300 s)"
      break
    fi
    sleep 0.5
  done
  sleep 2
  main_pid=$(systemctl show -P MainPID hostmirror-registry.service)
  [ "${main_pid:-0}" -gt 0 ] || { hmr_report "$phase" registry-killed FAIL "hostmirror-registry.service has no main process to kill ($(systemctl show -P ActiveState hostmirror-registry.service))"; return; }
  url="https://$HOSTMIRROR_REGISTRY_NAME:$HOSTMIRROR_REGISTRY_PORT/v2/"
  exec {pause}<> <(:) # a pipe this shell also holds open for writing: read -t on it pauses
  # The client that measures is started before the kill and waits for its URL on stdin (curl -K -
  # reads its options until end of file): its start, seconds on a loaded TCG host, is then not
  # counted, and it starts no process on this one emulated CPU while the registry restarts.
  exec {request}> >(exec curl --silent --show-error --fail --connect-timeout 5 --max-time 30 --output /dev/null \
    --cacert /etc/hostmirror/ca.crt --resolve "$HOSTMIRROR_REGISTRY_NAME:$HOSTMIRROR_REGISTRY_PORT:127.0.0.1" -K - 2>"$work/answer.err")
  curl_pid=$!
  for ((t0 = 0; t0 < 50; t0++)); do # until curl blocks reading its stdin (at most 10 s)
    read -r wchan 2>/dev/null </proc/"$curl_pid"/wchan || true
    case $wchan in *pipe_read | pipe_wait) break ;; esac
    read -r -t 0.2 -u "$pause" _ || true
  done
  # bash's kill and $EPOCHREALTIME: no process between the clock and the signal.
  t0=$SECONDS start=$EPOCHREALTIME
  kill -KILL "$main_pid"
  # The killed registry's socket lives until systemd has reaped it (the port still accepted
  # connections right after the kill, and a curl then found it refused): wait for its /proc
  # entry to go, then for the port with bash's own /dev/tcp (no process), then hand curl its
  # URL: GET /v2/ over TLS, waiting for the answer (a 2 s limit once cut answers that came).
  while [ -e "/proc/$main_pid" ] && [ $((SECONDS - t0)) -lt 60 ]; do read -r -t 0.05 -u "$pause" _ || true; done
  wait_port() {
    until { : <>"/dev/tcp/127.0.0.1/$HOSTMIRROR_REGISTRY_PORT"; } 2>/dev/null; do
      [ $((SECONDS - t0)) -lt 60 ] || return 1
      read -r -t 0.2 -u "$pause" _ || true # a pause without a sleep process
    done
  }
  wait_port || true
  printf 'url = "%s"\n' "$url" >&"$request"
  exec {request}>&-
  if wait "$curl_pid"; then answered=1; fi
  # A first answer that failed (the port open before the registry was ready): ask again.
  while [ "$answered" = 0 ] && wait_port; do
    if curl --silent --fail --connect-timeout 5 --max-time 20 --output /dev/null --cacert /etc/hostmirror/ca.crt \
      --resolve "$HOSTMIRROR_REGISTRY_NAME:$HOSTMIRROR_REGISTRY_PORT:127.0.0.1" "$url"; then answered=1; fi
    [ "$answered" = 1 ] || read -r -t 0.2 -u "$pause" _ || true
  done
  waited=$(awk -v s="$start" -v n="$EPOCHREALTIME" 'BEGIN { printf "%.1f", n - s }')
  exec {pause}<&-
  hmr_console "HMR-INFO $host killed the registry (SIGKILL to pid $main_pid)$([ -s "$work/answer.err" ] && printf '; the first answer failed: %s' "$(tail -n1 "$work/answer.err")")"
  [ "$answered" = 1 ] || { hmr_report "$phase" registry-killed FAIL "the registry did not answer GET /v2/ again within 60 s of SIGKILL"; return; }
  # Where the time went: systemd's and the registry's own lines since the kill.
  journalctl --no-pager -q -o short-precise --since "@${start%.*}" -u hostmirror-registry.service |
    grep -E 'Main process exited|Scheduled restart|Started|Starting|serving|listening' | head -n 8 |
    while IFS= read -r line; do hmr_console "HMR-INFO $host registry restart: $line"; done
  if awk -v w="$waited" 'BEGIN { exit !(w <= 10) }'; then
    hmr_report "$phase" registry-killed PASS "serving again ${waited} s after SIGKILL"
  else
    hmr_report "$phase" registry-killed FAIL "serving again only ${waited} s after SIGKILL (limit 10 s)"
  fi
}
# Wait until every other host that boots (the instruction booted=node0+node1…) announced the
# end of its pull loop, or of its checks (its request for pull-loop-done-<host> is in the
# registry's journal), at most SECONDS (default: 300 s after the loop's own length).
others_done() {
  local deadline=$((SECONDS + ${1:-$((PULL_WINDOW + 300))})) name missing
  while :; do
    missing=''
    journalctl --no-pager -q -u hostmirror-registry.service >"$work/registry.journal" 2>/dev/null || true
    for name in $(hmr_value booted | tr '+' ' '); do
      [ "$name" = "$host" ] || grep -q "$LOOP_REPOSITORY-done-$name/" "$work/registry.journal" || missing+=" $name"
    done
    [ -n "$missing" ] || return 0
    [ "$SECONDS" -lt "$deadline" ] || { hmr_console "HMR-INFO $host gave up waiting for the end of the pull loop of:$missing"; return 0; }
    sleep 2
  done
}
# One pull as a client that retries makes it: on a failure, up to 3 retries 1, 2 and 4 s apart,
# the delays of containers/common pkg/retry RetryIfNecessary (podman and skopeo --retry-times).
# skopeo's own --retry-times does not apply here: with the source blocked (the live drop-in),
# containers/image reports the blocked source's error last ("registry ... is blocked in ...",
# a plain error) and RetryIfNecessary retries only network errors, so a pull during the
# restart would fail at once however short the restart (found by this rehearsal).
pull_with_retries() {
  local attempt delay
  for attempt in 0 1 2 3; do
    [ "$attempt" -eq 0 ] || { delay=$((1 << (attempt - 1))); sleep "$delay"; retried=$((retried + 1)); }
    skopeo inspect --raw "docker://$HMR_RELEASE_REF" >/dev/null 2>"$work/loop.err" && return 0
  done
  return 1
}
puller() {
  local until pulls=0 failures=0 retried=0 last=''
  # tools/rehearse.sh lowers this VM's priority while the loop runs; it polls every 2 s.
  hmr_console "HMR-INFO $host pull loop starts"
  sleep 3
  until=$((SECONDS + PULL_WINDOW))
  curl --silent --output /dev/null --max-time 10 --cacert /etc/hostmirror/ca.crt \
    "https://$HOSTMIRROR_REGISTRY_NAME:$HOSTMIRROR_REGISTRY_PORT/v2/$LOOP_REPOSITORY-$host/tags/list" || true
  while [ "$SECONDS" -lt "$until" ]; do
    if pull_with_retries; then
      pulls=$((pulls + 1))
    else
      failures=$((failures + 1)); last=$(tail -n1 "$work/loop.err")
    fi
    sleep 0.3
  done
  curl --silent --output /dev/null --max-time 30 --retry 3 --cacert /etc/hostmirror/ca.crt \
    "https://$HOSTMIRROR_REGISTRY_NAME:$HOSTMIRROR_REGISTRY_PORT/v2/$LOOP_REPOSITORY-done-$host/tags/list" || true
  if [ "$failures" -eq 0 ] && [ "$pulls" -gt 0 ]; then
    hmr_report "$phase" pulls-while-killed PASS "$pulls pulls, none failed ($retried retries)"
  else
    hmr_report "$phase" pulls-while-killed FAIL "$failures of $((pulls + failures)) pulls failed after 3 retries each: $last"
  fi
}

if [ "$phase" = live ]; then
  gate agent.service
  gate node-zero.service
  console
fi
where
pull release "$HMR_RELEASE_REF"
pull component "$HMR_COMPONENT_REF"
if [ "$phase" = installed ] && [ -e /run/hostmirror/serve ]; then
  if systemctl is-active --quiet hostmirror-registry.service; then
    hmr_report "$phase" serves-from-volume PASS "hostmirror-registry.service active, storage $(cat /run/hostmirror/volume 2>/dev/null)"
  else
    hmr_report "$phase" serves-from-volume FAIL "hostmirror-registry.service is $(systemctl show -P ActiveState hostmirror-registry.service)"
  fi
fi
if hmr_has scenario=registry-killed; then
  if [ -e /run/hostmirror/serve ] && [ "$host" = node0 ]; then
    killer
    # Keep serving until every other host's pull loop is over (this host may power off next).
    others_done

  else
    puller
  fi
fi
# node0-down (installed, on the hosts other than node0): once this control-plane node has its own
# copy of node0's storage (hostmirror-sync.service, mode node0, issue #15), node0 is powered off
# (tools/rehearse.sh kills its qemu when every other host reported `synced`) and this host must
# still pull the release and a component by digest, from its own registry.
synced() {
  local deadline=$((SECONDS + ${HMR_SYNC_TIMEOUT:-1200})) load active sub result copied=''
  load=$(systemctl show -P LoadState hostmirror-sync.service)
  if [ "$load" != loaded ]; then
    hmr_report "$phase" synced FAIL "hostmirror-sync.service is $load on this installed control-plane node: the build's master MachineConfig carries no copy of node0's storage"
    return 1
  fi
  while :; do
    active=$(systemctl show -P ActiveState hostmirror-sync.service)
    sub=$(systemctl show -P SubState hostmirror-sync.service)
    result=$(systemctl show -P Result hostmirror-sync.service)
    if [ -e "$HMR_STATE_DIR/copy" ] && [ "$active/$sub/$result" = active/exited/success ] &&
      [ "$(getent hosts "$HOSTMIRROR_REGISTRY_NAME" | awk '{ print $1; exit }')" = 127.0.0.1 ] &&
      curl --silent --fail --max-time 30 --output /dev/null --cacert /etc/hostmirror/ca.crt \
        --resolve "$HOSTMIRROR_REGISTRY_NAME:$HOSTMIRROR_REGISTRY_PORT:127.0.0.1" \
        "https://$HOSTMIRROR_REGISTRY_NAME:$HOSTMIRROR_REGISTRY_PORT/v2/"; then
      copied=$(journalctl --no-pager -q -o cat -u hostmirror-sync.service | grep -E 'copied [0-9]+ inventory lines' | tail -n1)
      hmr_report "$phase" synced PASS "hostmirror-sync.service active/exited after $(($(hmr_active_since hostmirror-sync.service) / 1000000)) s of uptime, its registry answers on 127.0.0.1 (${copied#hostmirror: })"
      return 0
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      hmr_report "$phase" synced FAIL "after ${HMR_SYNC_TIMEOUT:-1200} s hostmirror-sync.service is $active/$sub/$result, state copy $([ -e "$HMR_STATE_DIR/copy" ] && echo present || echo absent): $(journalctl --no-pager -q -o cat -u hostmirror-sync.service | tail -n 3 | tr '\n' ' ')"
      return 1
    fi
    sleep 5
  done
}
# node0 is gone when its registry port stops answering: three connects in a row, each given 5 s.
# Prints the wall clock of the first of them, which tools/rehearse.sh compares with the time it
# powered node0 off (the pulls below must come after that).
node0_gone() {
  local deadline=$((SECONDS + ${HMR_SYNC_TIMEOUT:-1200})) misses=0 first=''
  while [ "$misses" -lt 3 ]; do
    if timeout 5 bash -c ": <>/dev/tcp/$HMR_RENDEZVOUS_IP/$HOSTMIRROR_REGISTRY_PORT" 2>/dev/null; then
      misses=0 first=''
      [ "$SECONDS" -lt "$deadline" ] || { hmr_report "$phase" node0-off FAIL "node0 ($HMR_RENDEZVOUS_IP) still answers after ${HMR_SYNC_TIMEOUT:-1200} s"; return 1; }
      sleep 2
    else
      misses=$((misses + 1))
      [ -n "$first" ] || first=$(date +%s.%N)
    fi
  done
  hmr_console "HMR-NODE0-GONE $host $first"
  hmr_report "$phase" node0-off PASS "node0's registry port ($HMR_RENDEZVOUS_IP:$HOSTMIRROR_REGISTRY_PORT) unanswered 3 times in a row"
}
if hmr_has scenario=node0-down && [ "$phase" = installed ] && [ "$host" != node0 ]; then
  hmr_done "$phase"
  phase=synced HMR_PASSED=0 HMR_FAILED=0
  synced_ok=0
  synced && synced_ok=1
  hmr_done synced
  phase=node0-down HMR_PASSED=0 HMR_FAILED=0
  if [ "$synced_ok" = 1 ] && node0_gone; then
    address=$(getent hosts "$HOSTMIRROR_REGISTRY_NAME" | awk '{ print $1; exit }')
    if [ "$address" = 127.0.0.1 ]; then
      hmr_report "$phase" registry-address PASS "$HOSTMIRROR_REGISTRY_NAME is 127.0.0.1 (this host serves its copy)"
    else
      hmr_report "$phase" registry-address FAIL "$HOSTMIRROR_REGISTRY_NAME is '${address:-unresolved}', expected 127.0.0.1"
    fi
    pull release "$HMR_RELEASE_REF"
    pull component "$HMR_COMPONENT_REF"
  fi
fi
# A live host that pulls from node0 tells node0 its checks are over (without registry-killed,
# whose pull loop said so already), so that node0 does not power off under a slower host's
# pulls (found with --hosts 3 --scenario node0-down: node0 went off while node2 still pulled).
if [ "$phase" = live ] && [ "$mode" = node0 ] && [ ! -e "$HMR_STATE_DIR/serve" ] && ! hmr_has scenario=registry-killed; then
  curl --silent --output /dev/null --max-time 30 --retry 3 --cacert /etc/hostmirror/ca.crt \
    "https://$HOSTMIRROR_REGISTRY_NAME:$HOSTMIRROR_REGISTRY_PORT/v2/$LOOP_REPOSITORY-done-$host/tags/list" || true
fi
# Where this boot's time went, for reading a slow rehearsal: each step's start and run time
# in seconds since the kernel started (systemd-analyze blame waits for the boot to finish,
# and this unit is part of it).
timings=''
for unit in initrd-switch-root.service systemd-networkd-wait-online.service hostmirror-volume.service \
  hostmirror-verify.service hostmirror-unpack.service hostmirror-registry.service hostmirror-configure.service \
  hostmirror-ready.service hostmirror-sync.service agent-interactive-console.service rehearsal-check.service; do
  read -r started active < <(systemctl show -P InactiveExitTimestampMonotonic "$unit" | tr '\n' ' '; systemctl show -P ActiveEnterTimestampMonotonic "$unit")
  [ "${started:-0}" -gt 0 ] || continue
  timings+=" ${unit%.service}@$(awk -v s="$started" -v a="${active:-0}" 'BEGIN { printf "%.0f+%.0fs", s / 1e6, (a > s ? a - s : 0) / 1e6 }')"
done
hmr_console "HMR-INFO $host timings (start+run):$timings"
# The boot by phase, for tools/rehearse.sh's phase table: the kernel (from its start to the
# initrd's systemd), the initrd (Ignition's stages, the live root's mounts, to the real root's
# systemd), the root (to this check's start) and the checks; boot-epoch is the wall clock at
# the kernel's start (the guest's clock is the host's: qemu's RTC), from which the script
# reads the time before the kernel's clock (firmware, boot loader, the kernel's decompression).
read -r uptime_now _ </proc/uptime
initrd_us=$(systemctl show -P InitRDTimestampMonotonic)
userspace_us=$(systemctl show -P UserspaceTimestampMonotonic)
ignition=$(journalctl -b -q -o short-monotonic _PID=1 2>/dev/null |
  awk '{ t = $0; sub(/^\[ */, "", t); sub(/\].*/, "", t) } /Starting ignition-fetch-offline/ && s == "" { s = t } /Finished ignition-files/ { f = t }
    END { if (s != "" && f != "") printf "%.0f", f - s; else printf "?" }')
hmr_console "HMR-PHASES $host $phase $(awk -v i="${initrd_us:-0}" -v u="${userspace_us:-0}" -v c="$checks_started" -v n="$uptime_now" -v e="$(date +%s.%N)" -v g="$ignition" \
  'BEGIN { if (i == 0) i = u; printf "boot-epoch=%.1f kernel=%.0f initrd=%.0f ignition=%s root=%.0f checks=%.0f", e - n, i / 1e6, (u - i) / 1e6, g, c - u / 1e6, n - c }')"
hmr_done "$phase"
if hmr_has then=poweroff; then
  # node0 serves the others until each has finished its checks (at most 1200 s).
  if [ "$phase" = live ] && [ "$mode" = node0 ] && [ -e "$HMR_STATE_DIR/serve" ]; then others_done 1200; fi
  sync
  systemctl --no-block poweroff
fi
