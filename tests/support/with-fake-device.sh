#!/bin/bash
# with-fake-device.sh: runs a command on a faked device, so that tests exercise Licet's real
# device property readers (src/container/fingerprint.cc) without any bypass in the code.
#
#   with-fake-device.sh [--machine-id V] [--dmi-uuid V] [--mac V]... [--virtual-mac V]...
#                       [--random-mac V]... [--disk-serial V] [--cpu TEXT] -- COMMAND [ARG]...
#
# It re-executes itself in a private mount namespace (unshare -m; needs root) and there fakes:
#   /etc/machine-id, /var/lib/dbus/machine-id
#                   bind-mounted files holding V; empty without --machine-id (the reader
#                   treats that as absent). If /etc/machine-id does not exist, /etc gets a
#                   private overlay that holds the fake file.
#   /proc/cpuinfo   a bind-mounted x86-style cpuinfo of two processors whose "model name" is
#                   TEXT, with fixed vendor, family, model and stepping; empty without --cpu
#   /sys/class      a tmpfs with dmi/id/product_uuid (only with --dmi-uuid),
#                   net/ethN/{address,addr_assign_type=0,device/} per --mac,
#                   net/vethN/address per --virtual-mac (no device entry: not physical),
#                   net/wlanN/{address,addr_assign_type=1,device/} per --random-mac (a
#                   physical NIC with a kernel-randomised MAC) and net/lo
#   /sys/dev/block  a tmpfs with <major>:<minor>/serial for the device of "/" (only with
#                   --disk-serial); without it the reader falls back to the statfs file
#                   system id of the real "/", which a mount namespace cannot fake
# and then execs COMMAND. Nothing is visible outside the namespace and nothing is left behind:
# the fake files live on a tmpfs that is detached before the exec (the bind mounts keep it).
#
# Bind-mounting a file over /proc/cpuinfo works on Linux (procfs allows mounts on its
# entries). Should a kernel refuse it, the script fails instead of letting the command read
# the real CPU.
set -euo pipefail

prog=with-fake-device.sh
die() {
  echo "$prog: $*" >&2
  exit 2
}
usage() {
  echo "usage: $prog [--machine-id V] [--dmi-uuid V] [--mac V]... [--virtual-mac V]..." >&2
  echo "       [--random-mac V]... [--disk-serial V] [--cpu TEXT] -- COMMAND [ARG]..." >&2
  exit 2
}

original_args=("$@")
machine_id=""
dmi_uuid=""
has_dmi=0
macs=()
virtual_macs=()
random_macs=()
disk_serial=""
has_disk=0
cpu=""
has_cpu=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --machine-id) [[ $# -ge 2 ]] || usage; machine_id=$2; shift 2 ;;
    --dmi-uuid) [[ $# -ge 2 ]] || usage; dmi_uuid=$2; has_dmi=1; shift 2 ;;
    --mac) [[ $# -ge 2 ]] || usage; macs+=("$2"); shift 2 ;;
    --virtual-mac) [[ $# -ge 2 ]] || usage; virtual_macs+=("$2"); shift 2 ;;
    --random-mac) [[ $# -ge 2 ]] || usage; random_macs+=("$2"); shift 2 ;;
    --disk-serial) [[ $# -ge 2 ]] || usage; disk_serial=$2; has_disk=1; shift 2 ;;
    --cpu) [[ $# -ge 2 ]] || usage; cpu=$2; has_cpu=1; shift 2 ;;
    --) shift; break ;;
    -h|--help) usage ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ $# -ge 1 ]] || die "no command given after --"

if [[ "${_LICET_FAKE_DEVICE_INNER:-}" != 1 ]]; then
  [[ $(id -u) == 0 ]] || die "must run as root (it needs unshare -m and mount)"
  command -v unshare >/dev/null || die "unshare(1) not found (util-linux)"
  self=$(readlink -f "$0")
  export _LICET_FAKE_DEVICE_INNER=1
  exec unshare --mount --propagation private -- /bin/bash "$self" "${original_args[@]}"
fi
unset _LICET_FAKE_DEVICE_INNER

# --- inside the private mount namespace ---

stage=$(mktemp -d /tmp/licet-fake-device.XXXXXX)
cleanup() {
  umount -l "$stage" 2>/dev/null || true
  rmdir "$stage" 2>/dev/null || true
}
trap cleanup EXIT
mount -t tmpfs -o mode=0700,size=4m licet-fake-device "$stage" || die "cannot mount a tmpfs"
files=0

# fake_file TARGET CONTENT: makes TARGET read CONTENT inside the namespace.
fake_file() {
  local target=$1 content=$2
  files=$((files + 1))
  if [[ -e "$target" ]]; then
    printf '%s' "$content" >"$stage/file$files"
    mount --bind "$stage/file$files" "$target" || die "cannot bind-mount over $target"
  else
    # No file to mount over: an overlay on its directory holds it, writes stay in the stage.
    local dir upper work
    dir=$(dirname "$target")
    [[ -d "$dir" ]] || die "cannot fake $target: $dir does not exist"
    upper="$stage/upper$files"
    work="$stage/work$files"
    mkdir "$upper" "$work"
    printf '%s' "$content" >"$upper/$(basename "$target")"
    mount -t overlay licet-fake-device -o "lowerdir=$dir,upperdir=$upper,workdir=$work" "$dir" ||
      die "cannot overlay $dir to create $target"
  fi
}

# machine-id: both the primary path and the D-Bus fallback, so the real one cannot leak.
if [[ -n "$machine_id" ]]; then
  fake_file /etc/machine-id "$machine_id"$'\n'
  [[ -e /var/lib/dbus/machine-id ]] && fake_file /var/lib/dbus/machine-id "$machine_id"$'\n'
else
  [[ -e /etc/machine-id ]] && fake_file /etc/machine-id ""
  [[ -e /var/lib/dbus/machine-id ]] && fake_file /var/lib/dbus/machine-id ""
fi

# cpuinfo: two identical processors, as the kernel lists them.
cpuinfo=""
if [[ $has_cpu == 1 ]]; then
  for n in 0 1; do
    cpuinfo+=$(printf 'processor\t: %s\nvendor_id\t: LicetFakeCPU\ncpu family\t: 6\nmodel\t\t: 85\nmodel name\t: %s\nstepping\t: 7\ncpu MHz\t\t: 2000.000\nflags\t\t: fpu sse2\n' "$n" "$cpu")
    cpuinfo+=$'\n\n'
  done
fi
fake_file /proc/cpuinfo "$cpuinfo"

# /sys/class: DMI and network interfaces only.
mount -t tmpfs -o mode=0755,size=1m licet-fake-class /sys/class || die "cannot mount /sys/class"
mkdir -p /sys/class/net/lo
echo 00:00:00:00:00:00 >/sys/class/net/lo/address
if [[ $has_dmi == 1 ]]; then
  mkdir -p /sys/class/dmi/id
  echo "$dmi_uuid" >/sys/class/dmi/id/product_uuid
fi
i=0
for mac in "${macs[@]}"; do
  mkdir -p "/sys/class/net/eth$i/device"
  echo "$mac" >"/sys/class/net/eth$i/address"
  echo 0 >"/sys/class/net/eth$i/addr_assign_type"
  i=$((i + 1))
done
i=0
for mac in "${virtual_macs[@]}"; do
  mkdir -p "/sys/class/net/veth$i"
  echo "$mac" >"/sys/class/net/veth$i/address"
  i=$((i + 1))
done
i=0
for mac in "${random_macs[@]}"; do
  mkdir -p "/sys/class/net/wlan$i/device"
  echo "$mac" >"/sys/class/net/wlan$i/address"
  echo 1 >"/sys/class/net/wlan$i/addr_assign_type"
  i=$((i + 1))
done

# /sys/dev/block: the serial of the device of "/", numbered as stat(2) reports it (the same
# major()/minor() split of st_dev as glibc's, which the C++ reader uses).
mount -t tmpfs -o mode=0755,size=1m licet-fake-block /sys/dev/block ||
  die "cannot mount /sys/dev/block"
if [[ $has_disk == 1 ]]; then
  dev=$(stat -c '%d' /)
  major=$(( ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfff) ))
  minor=$(( (dev & 0xff) | ((dev >> 12) & ~0xff) ))
  mkdir -p "/sys/dev/block/$major:$minor"
  echo "$disk_serial" >"/sys/dev/block/$major:$minor/serial"
fi

trap - EXIT
cleanup
exec "$@"
