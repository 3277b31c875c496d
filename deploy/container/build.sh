#!/usr/bin/env bash
# ./deploy/container/build.sh [build] [TAG]: builds the OrleansGate node image with buildah (default tag
# localhost/orleansgate:dev), from bases made here:
#   1. a minimal Debian root filesystem made with debootstrap (the release this machine runs), kept in
#      $ORLEANSGATE_IMAGE_CACHE (default /var/cache/orleansgate/container) so a second build reuses it;
#   2. localhost/orleansgate-base:RELEASE, that root filesystem imported into buildah (a scratch container + the tar);
#   3. localhost/orleansgate-sdk:10.0, the base plus this machine's .NET SDK (sdk.Containerfile: the Microsoft SDK image
#      cannot be pulled here);
#   4. the image itself from deploy/container/Containerfile (multi-stage: publish in the SDK stage, run in the base).
# Installs buildah and debootstrap from Debian when missing. Every step that fails names the command and why.
#
# ./deploy/container/build.sh config [TAG]: the image's OCI config (JSON: User, Entrypoint, Env, …).
# ./deploy/container/build.sh run-read-only TAG [ARGS...]: runs the image's entrypoint with ARGS as the image's user,
#   on its root filesystem mounted read-only, with tmpfs on /tmp and /var/lib/orleansgate and this machine's network;
#   $RUN_BIND ("HOSTDIR:CONTAINERDIR ...") bind-mounts folders read-only. podman run --read-only would be the usual way:
#   here crun cannot start any container ("setrlimit `RLIMIT_NPROC`: Operation not permitted", docs/deploy.md).
#
# Environment: ORLEANSGATE_IMAGE_CACHE, BUILDAH_STORAGE_DRIVER (default overlay, in a storage of its own under the
# cache; vfs works too, about twice as slow), BUILDAH_ISOLATION (default chroot), DEBIAN_MIRROR (default: apt's).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/deploy/local/lib.sh"

command=build
case "${1:-}" in build | config | run-read-only) command=$1; shift ;; esac
tag="${1:-localhost/orleansgate:dev}"
[ "$#" -gt 0 ] && shift
cache="${ORLEANSGATE_IMAGE_CACHE:-/var/cache/orleansgate/container}"
driver="${BUILDAH_STORAGE_DRIVER:-overlay}"
isolation="${BUILDAH_ISOLATION:-chroot}"
sdk_image=localhost/orleansgate-sdk:10.0

fail() { # step message
  echo "error: container build failed at: $1" >&2
  echo "  $2" >&2
  exit 1
}

# Runs a step's command; on failure prints the command and the last lines of its output, then stops.
step() { # name command...
  local name=$1 log
  shift
  log=$(mktemp)
  if ! "$@" >"$log" 2>&1; then
    local out
    out=$(tail -n 15 "$log")
    rm -f "$log"
    fail "$name" "command: $*"$'\n'"$out"
  fi
  rm -f "$log"
}

# A storage of the project's own: the machine's default one may hold another driver's images.
bah() { buildah --root "$cache/storage-$driver" --runroot "/run/orleansgate-buildah-$driver" --storage-driver "$driver" "$@"; }

if [ "$command" = config ]; then
  bah inspect --type image --format '{{.OCIv1.Config | json}}' "$tag" 2>/dev/null \
    || bah inspect --type image "$tag" | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)["OCIv1"]["config"]))'
  exit 0
fi

if [ "$command" = run-read-only ]; then
  user=$(bah inspect --type image --format '{{.OCIv1.Config.User}}' "$tag")
  ctr=$(bah from --pull-never "$tag")
  trap 'bah umount "$ctr" >/dev/null 2>&1; bah rm "$ctr" >/dev/null 2>&1; rm -f "${pidfile:-}"' EXIT
  mnt=$(bah mount "$ctr")
  # The image's environment, as the container would have it.
  mapfile -t env_vars < <(bah inspect --type image --format '{{range .OCIv1.Config.Env}}{{println .}}{{end}}' "$tag" | sed '/^$/d')
  mapfile -t entrypoint < <(bah inspect --type image --format '{{range .OCIv1.Config.Entrypoint}}{{println .}}{{end}}' "$tag" | sed '/^$/d')
  # A mount namespace of its own: the bind mounts vanish with the process. The root is a read-only bind of the
  # container's file system; only the tmpfs mounts can be written, as with readOnlyRootFilesystem and emptyDir.
  # In the background with SIGTERM/SIGINT passed on to the node (unshare itself ignores both while it waits), so that
  # stopping this script stops the node gracefully and the EXIT trap still removes the container.
  pidfile=$(mktemp)
  PIDFILE=$pidfile unshare --mount --propagation private --fork --kill-child=SIGTERM /bin/bash -c '
    set -e
    mnt=$1 user=$2; shift 2
    mount --bind "$mnt" "$mnt"
    mount -o remount,bind,ro "$mnt"
    mount -t tmpfs -o mode=1777,size=64m tmpfs "$mnt/tmp"
    mount -t tmpfs -o mode=0700,size=64m,uid=${user%%:*},gid=${user##*:} tmpfs "$mnt/var/lib/orleansgate"
    mount -t proc proc "$mnt/proc"
    mount --rbind /dev "$mnt/dev"
    for b in ${RUN_BIND:-}; do mount --bind -o ro "${b%%:*}" "$mnt/${b#*:}"; done
    env_end=$(printf "%s\n" "$@" | grep -n -x -- "--" | head -n 1 | cut -d: -f1)
    echo $$ > "$PIDFILE"
    exec env -i "${@:1:env_end-1}" /usr/sbin/chroot --userspec="$user" "$mnt" "${@:env_end+1}"
  ' run-read-only "$mnt" "$user" "${env_vars[@]}" -- "${entrypoint[@]}" "$@" &
  child=$!
  trap 'kill -TERM "$(cat "$pidfile")" 2>/dev/null' TERM INT
  status=0
  wait "$child" || status=$?
  # A signal ends the first wait early (status 128+n); the second waits for the node and gives its own status.
  if [ "$status" -gt 128 ]; then status=0; wait "$child" || status=$?; fi
  exit "$status"
fi

# The release and mirror apt uses on this machine, so the image's Debian is the one the tests run on.
. /etc/os-release
release="${VERSION_CODENAME:?/etc/os-release names no VERSION_CODENAME}"
if [ -z "${DEBIAN_MIRROR:-}" ]; then
  DEBIAN_MIRROR=$(grep -h -E '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{ print $2 }' | grep -v -- '-security' | head -n 1 || true)
  [ -n "$DEBIAN_MIRROR" ] || DEBIAN_MIRROR=$(awk '$1 == "deb" && $3 == "'"$release"'" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
  DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
fi
base_image="localhost/orleansgate-base:$release"

missing=()
command -v buildah >/dev/null 2>&1 || missing+=(buildah)
command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  step "apt-get update" as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  step "apt-get install ${missing[*]}" as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
command -v dotnet >/dev/null 2>&1 || fail "finding the .NET SDK" "dotnet is not on PATH: the SDK stage is made from this machine's SDK"
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
[ -d "$dotnet_root/sdk" ] || fail "finding the .NET SDK" "$dotnet_root has no sdk folder"
[ "$(id -u)" -eq 0 ] || fail "checking the user" "run as root: debootstrap and buildah's chroot isolation need it here"

started=$SECONDS
mkdir -p "$cache"

# 1. The Debian root filesystem, made once. A partial one (interrupted debootstrap) is made again.
rootfs="$cache/debootstrap-$release"
if [ ! -f "$rootfs/.complete" ]; then
  echo "making a minimal Debian $release with debootstrap from $DEBIAN_MIRROR (once; kept in $rootfs)"
  rm -rf "$rootfs"
  step "debootstrap" debootstrap --variant=minbase "$release" "$rootfs" "$DEBIAN_MIRROR"
  # Nothing of the building machine's apt lists or caches goes into the image.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
  touch "$rootfs/.complete"
fi

# 2. Import it as the base image (again only when the root filesystem is newer than the image).
if ! bah inspect --type image "$base_image" >/dev/null 2>&1 || [ "$rootfs/.complete" -nt "$cache/base-imported" ]; then
  echo "importing the root filesystem as $base_image"
  tarball="$cache/rootfs-$release.tar"
  step "tar of the root filesystem" tar -C "$rootfs" --numeric-owner --exclude=./.complete -cf "$tarball" .
  ctr=$(bah from scratch 2>&1) || fail "buildah from scratch" "$ctr"
  step "buildah add (import)" bah add "$ctr" "$tarball" /
  step "buildah config (base)" bah config --cmd /bin/bash --label org.opencontainers.image.description="Debian $release (debootstrap minbase)" "$ctr"
  step "buildah commit (base)" bah commit --rm "$ctr" "$base_image"
  rm -f "$tarball"
  touch "$cache/base-imported"
fi

# 3. The SDK stage's image: the base plus this machine's SDK and CA bundle (see sdk.Containerfile).
# Made again when the SDK or sdk.Containerfile changes (both are in the image's annotation).
sdk_version=$(dotnet --version)
sdk_key="$sdk_version $(sha256sum "$root/deploy/container/sdk.Containerfile" | cut -c 1-16)"
if [ "$(bah inspect --type image --format '{{index .ImageAnnotations "org.orleansgate.sdk"}}' "$sdk_image" 2>/dev/null || true)" != "$sdk_key" ]; then
  echo "making $sdk_image from the .NET SDK $sdk_version in $dotnet_root"
  context="$cache/sdk-context"
  rm -rf "$context"
  mkdir -p "$context"
  # Hard links when the cache shares a file system with the SDK, a copy otherwise.
  cp -al "$dotnet_root" "$context/dotnet" 2>/dev/null || { rm -rf "$context/dotnet"; cp -a "$dotnet_root" "$context/dotnet"; }
  cp /etc/ssl/certs/ca-certificates.crt "$context/host-ca-certificates.crt"
  step "buildah bud (SDK image)" bah bud --isolation "$isolation" --no-cache --force-rm --build-arg BASE_IMAGE="$base_image" \
    --annotation org.orleansgate.sdk="$sdk_key" -f "$root/deploy/container/sdk.Containerfile" -t "$sdk_image" "$context"
  rm -rf "$context"
fi

# 4. The node image. The context is the repository; .containerignore keeps build outputs and local state out.
echo "building $tag"
step "buildah bud (node image)" bah bud --isolation "$isolation" --force-rm --layers \
  --build-arg BASE_IMAGE="$base_image" --build-arg SDK_IMAGE="$sdk_image" \
  --ignorefile "$root/deploy/container/containerignore" \
  -f "$root/deploy/container/Containerfile" -t "$tag" "$root"
# Each change in src/ leaves the previous build's stages behind as untagged images (the build stage is 1.4 GB): those
# older than a day go, so the storage stays bounded while a day's layer cache is kept.
mapfile -t stale < <(bah images --filter dangling=true --filter until=24h --format '{{.ID}}' 2>/dev/null || true)
if [ "${#stale[@]}" -gt 0 ]; then bah rmi "${stale[@]}" >/dev/null 2>&1 || true; fi
echo "built $tag in $((SECONDS - started)) s (storage driver $driver, isolation $isolation)"
