#!/bin/bash
# dracut module of the rehearsal's live ISO (tools/make-live-iso): what Fedora CoreOS's own
# live modules do that Debian's dracut lacks, and nothing more.
#  - is-live-image: the distro hook Ignition's generator asks (coreos/ignition
#    dracut/30ignition/ignition-generator) so that a live boot skips the diskful stages;
#    FCOS: fedora-coreos-config overlay.d/05core/usr/lib/dracut/modules.d/35coreos-live.
#  - the config embedded in the ISO (/config.ign, unpacked by the kernel from
#    images/ignition.img, the area coreos-installer embeds into) becomes Ignition's user
#    config /usr/lib/ignition/user.ign, as FCOS's coreos-ignition-setup-user.sh does
#    (fedora-coreos-config overlay.d/05core/usr/lib/dracut/modules.d/35coreos-ignition).
#  - hostmirror-live-generator: the live root (ISO by label, squashfs rootfs.img, overlay on
#    tmpfs) as FCOS's live-generator mounts it
#    (fedora-coreos-config overlay.d/05core/usr/lib/dracut/modules.d/35coreos-live).

# moddir, initdir, systemdsystemunitdir and systemdutildir are set by dracut.
# shellcheck disable=SC2154
check() { return 0; }

depends() { echo ignition systemd; }

install() {
    inst_script "$moddir/is-live-image.sh" /usr/bin/is-live-image
    inst_simple "$moddir/hostmirror-ignition-user.service" \
        "$systemdsystemunitdir/hostmirror-ignition-user.service"
    mkdir -p "$initdir/$systemdsystemunitdir/ignition-complete.target.requires"
    ln_r "$systemdsystemunitdir/hostmirror-ignition-user.service" \
        "$systemdsystemunitdir/ignition-complete.target.requires/hostmirror-ignition-user.service"
    inst_script "$moddir/hostmirror-live-generator" \
        "$systemdutildir/system-generators/hostmirror-live-generator"
    inst_multiple cp mkdir systemd-escape
    instmods isofs squashfs overlay loop sr_mod
}
