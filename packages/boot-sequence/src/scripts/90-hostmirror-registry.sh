#!/bin/sh
# shellcheck shell=sh
# hostmirror dracut pre-pivot hook: copy the registry program, which rides in the initrd,
# into the real root before switch-root, and give it the label of a program (the files of
# the initramfs have none); and the control-plane copy's inventory (mode node0), which node0
# publishes for the other control-plane nodes. dracut sources this file, so it must not exit;
# it uses only what the CoreOS initrd has (sh, cp, chmod, chcon), as openshift/installer's agent
# hook does. HOSTMIRROR_INITRD_ROOT prefixes the initrd side in tests; NEWROOT is dracut's.
hostmirror_source="${HOSTMIRROR_INITRD_ROOT:-}/usr/lib/hostmirror/registry"
hostmirror_target="${NEWROOT:-}/usr/local/bin/hostmirror-registry"
if [ -f "$hostmirror_source" ]; then
  mkdir -p "${hostmirror_target%/*}" &&
    cp -f "$hostmirror_source" "$hostmirror_target.tmp" &&
    chmod 0755 "$hostmirror_target.tmp" &&
    mv -f "$hostmirror_target.tmp" "$hostmirror_target" &&
    echo "hostmirror: installed the registry program at $hostmirror_target" ||
    echo "<3>hostmirror: could not copy $hostmirror_source to $hostmirror_target; the mirror will not start." >&2
  # The policy is not loaded yet in the initrd, but the label is stored all the same and
  # counts once systemd loads the policy in the real root (upstream's hook relies on it).
  if command -v chcon >/dev/null 2>&1; then
    chcon system_u:object_r:bin_t:s0 "$hostmirror_target" 2>/dev/null ||
      echo "<4>hostmirror: could not label $hostmirror_target bin_t (no SELinux here?)" >&2
  fi
fi
# /etc, not /usr/lib: the live root's /usr is read-only; /etc/hostmirror holds the settings.
hostmirror_source="${HOSTMIRROR_INITRD_ROOT:-}/usr/lib/hostmirror/inventory"
hostmirror_target="${NEWROOT:-}/etc/hostmirror/inventory"
if [ -f "$hostmirror_source" ]; then
  mkdir -p "${hostmirror_target%/*}" &&
    cp -f "$hostmirror_source" "$hostmirror_target.tmp" &&
    chmod 0644 "$hostmirror_target.tmp" &&
    mv -f "$hostmirror_target.tmp" "$hostmirror_target" ||
    echo "<4>hostmirror: could not copy $hostmirror_source to $hostmirror_target; the other control-plane nodes cannot copy this host's mirror." >&2
fi
unset hostmirror_source hostmirror_target
