#!/bin/sh
# Exit 0 when this boot is a live boot (the ISO's kargs name the live root), as the
# is-live-image hook of Fedora CoreOS answers; Ignition's generator then skips the
# diskful targets. A boot from an installed disk has root=LABEL=… instead.
case " $(cat /proc/cmdline) " in
*" coreos.liveiso="*) exit 0 ;;
esac
exit 1
