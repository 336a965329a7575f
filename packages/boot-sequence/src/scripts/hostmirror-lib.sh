# shellcheck shell=bash
# The HM_* constants are read by the scripts that source this file.
# shellcheck disable=SC2034
# hostmirror boot sequence: helpers shared by every step script (sourced, never run).
#
# Every on-disk path below is a system path; each access is prefixed with HOSTMIRROR_ROOT
# (empty on a real host) so that the same scripts run against a temporary root in tests.
# Settings come from /etc/hostmirror/hostmirror.env (written at build time); a variable that
# is already set in the environment wins, so an operator can rerun a step by hand with another
# value, and tests can point at a folder volume or another registry program.

HM_ROOT=${HOSTMIRROR_ROOT:-}
HM_ENV_FILE=/etc/hostmirror/hostmirror.env
HM_MANIFEST=/etc/hostmirror/archives.sha256
HM_REGISTRY_CONFIG=/etc/hostmirror/registry/config.yml
HM_STAGED_REGISTRIES_CONF=/etc/hostmirror/registries.conf
HM_CA=/etc/hostmirror/ca.crt
HM_TLS_DIR=/etc/hostmirror/tls
HM_PRELOAD_LIST=/etc/hostmirror/preload.list
# The control-plane copy's inventory (mode node0; constants.ts INVENTORY_FILE): node0 publishes it.
HM_INVENTORY=/etc/hostmirror/inventory
# Stale archive repositories the build named (one a line): not unpacked.
HM_SKIP_REPOSITORIES=/etc/hostmirror/skip-repositories
# Under the volume: the registry storage root (distribution keeps its tree in
# <root>/docker/registry/v2), the unpack state, and what the installed system needs again.
# With HOSTMIRROR_VOLUME_ACCESS=read-only the tree and the state live in HOSTMIRROR_DATA_DIR on
# the host instead, and the volume is only read.
HM_VOLUME_DATA=hostmirror
# The line tag that marks our entry in /etc/hosts, so a rerun replaces it.
HM_HOSTS_TAG='# hostmirror'

# Messages go to stderr and so to the journal (stdout carries values between functions); "<3>" is the kernel-style priority prefix that journald reads
# (SyslogLevelPrefix=yes is the default), so `journalctl -p err` shows every refusal.
hm_log() { printf 'hostmirror: %s\n' "$*" >&2; }
hm_warn() { printf '<4>hostmirror: %s\n' "$*" >&2; }
hm_error() { printf '<3>hostmirror: %s\n' "$*" >&2; }
# A script may set HM_DIE_STATUS (hostmirror-serve.sh: 78, so systemd does not restart a refusal).
hm_die() {
  hm_error "$*"
  exit "${HM_DIE_STATUS:-1}"
}

# The path of system path $1 under HOSTMIRROR_ROOT.
hm_path() { printf '%s%s' "$HM_ROOT" "$1"; }
# The same into variable $1, without the subshell of `$(hm_path …)`. For the registry's restart
# path (hostmirror-serve.sh runs again after every crash): on a loaded emulated host each
# subshell and cat cost about half a second, and the rehearsal (tools/rehearse.sh --scenario
# registry-killed) measured 9.5 s from systemd's start of the script to the registry's exec.
hm_path_to() { printf -v "$1" '%s%s' "$HM_ROOT" "$2"; }

# Read KEY=VALUE lines (no shell evaluation). As in a systemd EnvironmentFile, a later line
# wins over an earlier one; a variable the environment already had wins over the file.
hm_load_config() {
  local file key value
  local -A seen=() from_environment=()
  hm_path_to file "$HM_ENV_FILE"
  [ -r "$file" ] || hm_die "settings file $file is missing; the boot configuration is incomplete."
  while IFS='=' read -r key value || [ -n "$key" ]; do
    [[ $key =~ ^HOSTMIRROR_[A-Z0-9_]+$ ]] || continue
    if [ -z "${seen[$key]+set}" ]; then
      seen[$key]=1
      [ -z "${!key+set}" ] || from_environment[$key]=1
    fi
    [ -z "${from_environment[$key]+set}" ] || continue
    printf -v "$key" '%s' "$value"
    export "${key?}"
  done <"$file"
  local required
  for required in HOSTMIRROR_MODE HOSTMIRROR_PHASE HOSTMIRROR_STATE_DIR HOSTMIRROR_MOUNT \
    HOSTMIRROR_REGISTRY_NAME HOSTMIRROR_REGISTRY_PORT HOSTMIRROR_REGISTRY_BIN; do
    [ -n "${!required:-}" ] || hm_die "$required is not set in $file."
  done
  case ${HOSTMIRROR_VOLUME_ACCESS:=read-write} in
    read-write) ;;
    read-only) [ -n "${HOSTMIRROR_DATA_DIR:-}" ] || hm_die "HOSTMIRROR_VOLUME_ACCESS is read-only but HOSTMIRROR_DATA_DIR is not set in $file." ;;
    *) hm_die "HOSTMIRROR_VOLUME_ACCESS is '$HOSTMIRROR_VOLUME_ACCESS' in $file; use read-write or read-only." ;;
  esac
}

# Run-time state of this boot (tmpfs): which role this host took.
hm_state() { hm_path "$HOSTMIRROR_STATE_DIR/$1"; }
# Where the volume step put the volume (read without a subshell or cat: the restart path).
hm_volume_dir() {
  local volume=''
  IFS= read -r volume <"$HM_ROOT$HOSTMIRROR_STATE_DIR/volume" || [ -n "$volume" ] || return 1
  printf '%s' "$volume"
}
hm_volume_read_only() { [ "$HOSTMIRROR_VOLUME_ACCESS" = read-only ]; }
# Where the storage tree and the unpack state of the volume in folder $1 live: on the volume,
# or on the host for a read-only volume (never written to).
hm_data_dir_for() {
  if hm_volume_read_only; then hm_path "$HOSTMIRROR_DATA_DIR"; else printf '%s/%s' "$1" "$HM_VOLUME_DATA"; fi
}
# A control-plane node that serves its copy of node0's storage (the sync step made it; markers
# `serve` and `copy`): no volume, the tree and its state in HOSTMIRROR_DATA_DIR on the install
# disk, and nothing for the volume steps (verify, unpack, restore) to do.
hm_serves_copy() { [ -e "$HM_ROOT$HOSTMIRROR_STATE_DIR/copy" ]; }
hm_data_dir() {
  if hm_serves_copy; then hm_path "${HOSTMIRROR_DATA_DIR:?}"; else hm_data_dir_for "$(hm_volume_dir)"; fi
}
# Where the volume carries the registry program and TLS pair for the installed system.
hm_carry_dir() { printf '%s/%s' "$(hm_volume_dir)" "$HM_VOLUME_DATA"; }

# The identity of the archive set: the sha256 of the manifest written at build time.
hm_manifest_id() {
  local manifest sum
  hm_path_to manifest "$HM_MANIFEST"
  [ -r "$manifest" ] || hm_die "archive manifest $manifest is missing."
  read -r sum _ < <(sha256sum <"$manifest")
  printf '%s\n' "$sum"
}

# The archive names of the manifest, one a line, in order.
hm_archive_names() {
  local hash name
  while read -r hash name; do
    [ -n "$hash" ] || continue
    printf '%s\n' "${name#\*}"
  done <"$(hm_path "$HM_MANIFEST")"
}

# Is SELinux enforcing labels here? (Not in a test root, not on a host without it.)
hm_selinux() {
  [ -z "$HM_ROOT" ] && command -v selinuxenabled >/dev/null 2>&1 && selinuxenabled
}

# Give a file we wrote the label policy expects for its path; bin_t if restorecon cannot.
hm_fix_label() {
  hm_selinux || return 0
  restorecon -F "$1" 2>/dev/null || chcon "${2:-system_u:object_r:bin_t:s0}" "$1"
}

# Copy $1 to $2 with mode $3 by writing a temporary file beside $2 and renaming it, so a
# crash leaves the old or the new file, never half of one.
hm_install_file() {
  local source=$1 target=$2 mode=$3 temporary
  mkdir -p "$(dirname "$target")"
  temporary=$(mktemp "$target.XXXXXX")
  cat "$source" >"$temporary"
  chmod "$mode" "$temporary"
  mv -f "$temporary" "$target"
  hm_fix_label "$target" system_u:object_r:etc_t:s0
}

# This host's addresses, one a line (HOSTMIRROR_HOST_ADDRESSES instead of `ip`, for tests).
hm_host_addresses() {
  local _index _name _family address _rest
  if [ -n "${HOSTMIRROR_HOST_ADDRESSES:-}" ]; then
    tr -s ' ' '\n' <<<"$HOSTMIRROR_HOST_ADDRESSES"
  else
    # ip -o address: "2: eth0    inet 10.0.0.5/24 brd ..." (the address is the fourth field).
    ip -o address show | while read -r _index _name _family address _rest; do
      printf '%s\n' "${address%%/*}"
    done
  fi
}

# Does this host hold the rendezvous IP (is it node0)? Only meaningful once the network is up.
hm_holds_rendezvous_ip() {
  [ -n "${HOSTMIRROR_RENDEZVOUS_IP:-}" ] || return 1
  # Not a pipe: with pipefail, grep -q leaving early could fail the writer and so the test.
  grep -qxF "$HOSTMIRROR_RENDEZVOUS_IP" < <(hm_host_addresses)
}

# The mirror endpoints (name:port), one a line, in the order clients try them: this host's
# registry (or node0's) first, then any control-plane node (endpoints.ts, HOSTMIRROR_MIRRORS).
hm_mirrors() {
  local mirror
  for mirror in ${HOSTMIRROR_MIRRORS:-$HOSTMIRROR_REGISTRY_NAME:$HOSTMIRROR_REGISTRY_PORT}; do
    printf '%s\n' "$mirror"
  done
}

# The address this host reaches the registry at: itself when it serves, else node0.
hm_registry_address() {
  if [ -e "$(hm_state serve)" ]; then
    printf '127.0.0.1'
  else
    [ -n "${HOSTMIRROR_RENDEZVOUS_IP:-}" ] || hm_die "HOSTMIRROR_RENDEZVOUS_IP is not set; a client host cannot find node0's registry."
    printf '%s' "$HOSTMIRROR_RENDEZVOUS_IP"
  fi
}

# The one archive-member rule, mirrored line for line from the build-time judgment
# (packages/oc-mirror-archive/src/archive-member.ts judgeArchiveMember; a test runs both on the
# same archive of cases through this machine's GNU tar and checks they agree). The unpack is
# GNU tar, one archive after another into one registry root, selecting members by the name
# $HM_REGISTRY_TREE: a link on the path to that root or inside it would make a later member
# land wherever it points, so links and special files are refused everywhere (oc-mirror
# writes regular files only), and so are absolute names and "..". awk, not a bash loop: a
# release archive has tens of thousands of members.
HM_REGISTRY_TREE=docker/registry/v2
# shellcheck disable=SC2016 # an awk program: its $0 is awk's
HM_JUDGE_AWK='
function judge(type, stored,    path, n, parts, i) {
  if (substr(stored, 1, 1) == "/") return "refuse absolute-name"
  if (stored ~ /\.\./ || stored == "." || stored ~ /^\.\// || stored ~ /\/\.$/ || stored ~ /\/\.\// || stored ~ /\/\//) {
    n = split(stored, parts, "/")
    path = ""
    for (i = 1; i <= n; i++) {
      if (parts[i] == "" || parts[i] == ".") continue
      if (parts[i] == "..") return "refuse parent-reference"
      path = (path == "") ? parts[i] : path "/" parts[i]
    }
  } else {
    path = stored
    sub(/\/$/, "", path)
  }
  if (path == "") return (type == "directory") ? "skip" : "refuse empty-name"
  on_path = (path == "docker" || path == "docker/registry" || path == root)
  in_tree = (path == root || substr(path, 1, length(root) + 1) == root "/")
  if (type == "symlink" || type == "hardlink")
    return (on_path || in_tree) ? "refuse link-on-registry-path" : "refuse link"
  if (type == "special") return "refuse special-file"
  if (type == "file" && on_path) return "refuse not-a-directory-on-registry-path"
  if (!in_tree) return "skip"
  if (stored == root || substr(stored, 1, length(root) + 1) == root "/") return "unpack"
  return "refuse registry-name-not-unpacked"
}
# A line of `tar -tv --numeric-owner --quoting-style=c`: MODE UID/GID SIZE DATE TIME "NAME"
# [-> "TARGET" | link to "TARGET"]. The name starts after the first double quote (numeric
# owners, sizes and dates hold none) and ends at the first unescaped one.
{
  q = index($0, "\"")
  rest = substr($0, q + 1)
  if (q == 0 || !match(rest, /^([^\\"]|\\.)*"/)) { print "refuse unreadable-name\t" $0; next }
  name = substr(rest, 1, RLENGTH - 1)
  c = substr($0, 1, 1)
  if (c == "-" || c == "C") type = "file"
  else if (c == "d") type = "directory"
  else if (c == "l") type = "symlink"
  else if (c == "h") type = "hardlink"
  else type = "special"
  print judge(type, name) "\t" name
}'

# hm_judge_archive ARCHIVE: judge every member as GNU tar itself lists it (so PAX and GNU long
# names are read by the code that extracts them). Prints "VERDICT<TAB>NAME" a line, VERDICT
# "unpack", "skip" or "refuse RULE", NAME C-quoted as tar prints it; fails when tar cannot
# list the archive (callers set pipefail).
hm_judge_archive() {
  tar -tv --numeric-owner --quoting-style=c -f "$1" | awk -v root="$HM_REGISTRY_TREE" "$HM_JUDGE_AWK"
}
