#!/usr/bin/env bash
# Install the Debian packages the real-system tests use (docs/design.md#testing), only those missing,
# and only when running as root with apt-get. Otherwise say what is missing and go on: the
# tests that need a missing tool then fail with a message naming its package.
# Recommended packages are installed too, as on the machines where the tests were written.
set -euo pipefail
packages=(
  qemu-system-x86 linux-image-amd64 busybox-static     # boot a real kernel with our initrds
  xorriso isolinux syslinux-common                     # build and boot CoreOS-layout ISOs
  genisoimage syslinux-utils                           # isoinfo; genisoimage + isohybrid ISOs (as cosa builds)
  grub-efi-amd64-bin grub-pc-bin mtools dosfstools ovmf
  cpio libarchive-tools xz-utils zstd pigz             # read our archives; benchmark peers
  ignition                                             # ignition-validate and ignition-apply
  docker-registry skopeo                               # serve and pull through our configs
  systemd iproute2 util-linux openssl                  # systemd-analyze verify, netns, unshare
  shellcheck fdisk curl systemd-container              # boot-sequence: lint, GPT volumes, readiness probe, nspawn
  time                                                 # /usr/bin/time for the benchmarks in tools/bench
  strace                                               # fault injection at every write of in-place ISO edits
  gawk                                                 # RHCOS's awk: the boot-time archive member rule runs under it
  binutils                                             # objdump: judge our ELF reader (registry program vetting)
  mmdebstrap squashfs-tools qemu-utils e2fsprogs       # tools/make-live-iso and tools/rehearse.sh
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "note: missing Debian packages (the tests that need them will fail): ${missing[*]}" >&2
  exit 0
fi
echo "installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq "${missing[@]}" >&2
