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
mode=${HOSTMIRROR_MODE:-unknown}
host=$(hmr_host)
work=/var/tmp/hostmirror-rehearsal
mkdir -p "$HMR_STATE" "$work"
hmr_console "HMR-INFO $host checks start: phase=$phase mode=$mode instructions=[$(hmr_instructions)] uptime=$(cut -d' ' -f1 /proc/uptime)s"

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

# The registry this host reaches: the /etc/hosts alias the configure step wrote.
where() {
  local address
  address=$(getent hosts "$HOSTMIRROR_REGISTRY_NAME" | awk '{ print $1; exit }')
  local expected=$HMR_RENDEZVOUS_IP
  if [ -e /run/hostmirror/serve ]; then expected=127.0.0.1; fi
  if [ "$address" = "$expected" ]; then
    hmr_report "$phase" registry-address PASS "$HOSTMIRROR_REGISTRY_NAME is $address ($([ -e /run/hostmirror/serve ] && echo 'this host serves' || echo 'node0 serves'))"
  else
    hmr_report "$phase" registry-address FAIL "$HOSTMIRROR_REGISTRY_NAME is '${address:-unresolved}', expected $expected"
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
# never kills its registry under another host's own readiness probe.
readonly LOOP_REPOSITORY=hostmirror-rehearsal/pull-loop
killer() {
  local deadline=$((SECONDS + 300)) start waited t0 pause
  until journalctl --no-pager -q -u hostmirror-registry.service | grep -q "$LOOP_REPOSITORY"; do
    [ "$SECONDS" -lt "$deadline" ] || { hmr_report "$phase" registry-killed FAIL "no other host started its pull loop within 300 s"; return; }
    sleep 0.5
  done
  sleep 2
  exec {pause}<> <(:) # a pipe this shell also holds open for writing: read -t on it pauses
  t0=$SECONDS start=$(date +%s.%N)
  systemctl kill --signal=SIGKILL hostmirror-registry.service
  hmr_console "HMR-INFO $host killed the registry (SIGKILL)"
  # Wait for the port with bash's own /dev/tcp (no process: on this one emulated CPU every
  # curl started while the registry starts would slow the start it measures), then ask GET /v2/
  # over TLS and wait for the answer (curl's start and the handshake take seconds on a loaded
  # TCG host; a 2 s limit once cut answers that came).
  until curl --silent --fail --connect-timeout 5 --max-time 20 --output /dev/null \
    --cacert /etc/hostmirror/ca.crt --resolve "$HOSTMIRROR_REGISTRY_NAME:$HOSTMIRROR_REGISTRY_PORT:127.0.0.1" \
    "https://$HOSTMIRROR_REGISTRY_NAME:$HOSTMIRROR_REGISTRY_PORT/v2/"; do
    until { : <>"/dev/tcp/127.0.0.1/$HOSTMIRROR_REGISTRY_PORT"; } 2>/dev/null; do
      [ $((SECONDS - t0)) -lt 60 ] || { hmr_report "$phase" registry-killed FAIL "the registry did not listen again within 60 s"; return; }
      read -r -t 0.2 -u "$pause" _ || true # a pause without a sleep process
    done
  done
  exec {pause}<&-
  waited=$(awk -v s="$start" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - s }')
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
  local until=$((SECONDS + ${HMR_PULL_WINDOW:-40})) pulls=0 failures=0 retried=0 last=''
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
    # Keep serving until the other hosts' pull loops are over (this host may power off next).
    sleep "$((${HMR_PULL_WINDOW:-40} + 15))"
  else
    puller
  fi
fi
# Where this boot's time went, for reading a slow rehearsal: each step's start and run time
# in seconds since the kernel started (systemd-analyze blame waits for the boot to finish,
# and this unit is part of it).
timings=''
for unit in initrd-switch-root.service systemd-networkd-wait-online.service hostmirror-volume.service \
  hostmirror-verify.service hostmirror-unpack.service hostmirror-registry.service hostmirror-configure.service \
  hostmirror-ready.service agent-interactive-console.service rehearsal-check.service; do
  read -r started active < <(systemctl show -P InactiveExitTimestampMonotonic "$unit" | tr '\n' ' '; systemctl show -P ActiveEnterTimestampMonotonic "$unit")
  [ "${started:-0}" -gt 0 ] || continue
  timings+=" ${unit%.service}@$(awk -v s="$started" -v a="${active:-0}" 'BEGIN { printf "%.0f+%.0fs", s / 1e6, (a > s ? a - s : 0) / 1e6 }')"
done
hmr_console "HMR-INFO $host timings (start+run):$timings"
hmr_done "$phase"
if hmr_has then=poweroff; then
  sync
  systemctl --no-block poweroff
fi
