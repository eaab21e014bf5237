#!/usr/bin/env bash
# Checks the container image without a Docker daemon or a registry (neither is available here):
#
#   1. base     makes Debian bookworm base images with debootstrap from Debian's archive (a full one for
#               the build stage, a slim one for the run stage), cached as tarballs, imported into podman
#   2. build    builds ./Dockerfile with `podman build --isolation=chroot`, passing those base images
#   3. export   exports the built image's filesystem to a directory and reads its ENV, USER, WORKDIR,
#               ENTRYPOINT, CMD and HEALTHCHECK
#   4. run      starts the host from that directory under chroot, in fresh network, PID, mount, UTS and
#               IPC namespaces whose only network interface is loopback, as the image's non-root user
#               with the image's environment and command: once on the image's defaults (the SQLite
#               store in the volume directory), once on a PostgreSQL server the script starts on
#               loopback inside the same namespace; each time it waits for /health, ingests events over
#               REST and reads them back, runs the image's HEALTHCHECK inside the chroot (it must pass
#               while the host runs and fail once it has stopped) and stops the host with SIGTERM
#   5. compose  validates docker-compose.dev.yml with Debian's docker-compose (`config`)
#
# Usage: scripts/container-check.sh [--cold] [--refresh-base] [--no-cache] [--keep]
#   --refresh-base  make the base images again with debootstrap (else the cached ones are reused)
#   --no-cache      build every layer of the Dockerfile again (podman build --no-cache)
#   --cold          both: what a first run on a fresh machine does
#   --keep          keep the work directory (exported root filesystem, logs) for inspection
# Environment: MC_CONTAINER_CACHE (base image cache, default /var/cache/mission-control/container-check),
#   MC_DEBIAN_MIRROR, MC_DEBIAN_SECURITY_MIRROR, MC_JOBS (compile jobs, default 2),
#   MC_CHECK_IMAGE (tag of the built image, default localhost/mission-control:check), MC_BUILD_CA_CERTS
#   (CA bundle npm trusts during the build, default this machine's /etc/ssl/certs/ca-certificates.crt;
#   empty: none).
#
# Needs root (debootstrap, podman, chroot, namespaces). Installs debootstrap, podman, docker-compose,
# postgresql, jq, curl, openssl, iproute2 and util-linux with apt when missing. Nothing it starts
# listens beyond loopback: the host and PostgreSQL run in a network namespace that has only `lo`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly root
readonly self="$root/scripts/container-check.sh"
readonly cache=${MC_CONTAINER_CACHE:-/var/cache/mission-control/container-check}
readonly suite=bookworm
readonly mirror=${MC_DEBIAN_MIRROR:-http://deb.debian.org/debian}
readonly security_mirror=${MC_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
readonly base_build_image=localhost/mc-check-base:$suite
readonly base_run_image=localhost/mc-check-base:$suite-slim
readonly image=${MC_CHECK_IMAGE:-localhost/mission-control:check}
readonly jobs=${MC_JOBS:-2}
default_ca=/etc/ssl/certs/ca-certificates.crt
[ -r "$default_ca" ] || default_ca=""
readonly build_ca_certs=${MC_BUILD_CA_CERTS-$default_ca}
# Inside the namespace: the port the host listens on (from the image's MC_HTTP_PORT) and PostgreSQL's.
readonly pg_port=5432

# ---------------------------------------------------------------------------------------------------
# Messages and phase timing (shared by the outer script and its part inside the namespace: both append
# to $MC_CHECK_WORK/phases so the summary lists every phase).

say() { printf '\n== container-check: %s\n' "$*"; }
note() { printf '   %s\n' "$*"; }
die() {
  printf '\ncontainer-check: FAIL: %s\n' "$*" >&2
  exit 1
}

phase_name=""
phase_started=0
phase_begin() {
  phase_name=$1
  phase_started=$SECONDS
  say "$phase_name"
}
phase_end() {
  local took=$((SECONDS - phase_started))
  printf '%s\t%s\n' "$took" "$phase_name" >>"$MC_CHECK_WORK/phases"
  note "($phase_name: ${took} s)"
  phase_name=""
}

# The summary: the total, then each phase's seconds from "seconds<TAB>phase" lines.
print_summary() {
  local status=$1 total=$2 lines=$3 took name
  printf '\n== container-check: %s in %d s (%dm%02ds)\n' "$status" "$total" $((total / 60)) $((total % 60))
  while IFS=$'\t' read -r took name; do
    [ -z "$name" ] || printf '   %6d s  %s\n' "$took" "$name"
  done <<<"$lines"
}

# A failure names the phase it happened in (each process, outer and inside the namespace, its own).
report_failed_phase() {
  if [ -n "$phase_name" ]; then
    printf 'container-check: failed in phase "%s" after %d s\n' "$phase_name" $((SECONDS - phase_started)) >&2
  fi
}

# ---------------------------------------------------------------------------------------------------
# Prerequisites

require_root() {
  [ "$(id -u)" -eq 0 ] || die "run as root: debootstrap, podman build, chroot and namespaces need it"
}

# Installs the Debian packages this check uses when one of them is missing (one apt run for all).
install_prerequisites() {
  local -A need=([debootstrap]=debootstrap [podman]=podman [docker-compose]=docker-compose [jq]=jq
                 [curl]=curl [openssl]=openssl [ip]=iproute2 [unshare]=util-linux [runuser]=util-linux)
  local missing=() cmd
  for cmd in "${!need[@]}"; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
  done
  # PostgreSQL's server binaries (initdb, pg_ctl), as the store-postgres tests use them.
  find_pg_bin >/dev/null || missing+=(postgresql)
  if [ ${#missing[@]} -eq 0 ]; then
    note "debootstrap, podman, docker-compose, PostgreSQL, jq, curl, openssl, ip, unshare: present"
    return
  fi
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  note "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  nice apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    die "apt-get install ${missing[*]} failed"
  find_pg_bin >/dev/null || die "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin after installing postgresql"
}

# The newest /usr/lib/postgresql/<version>/bin that has initdb.
find_pg_bin() {
  local dir best="" best_version=-1 version
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] || continue
    version=${dir#/usr/lib/postgresql/}
    version=${version%%/*}
    if [ "$version" -gt "$best_version" ]; then
      best_version=$version
      best=$dir
    fi
  done
  [ -n "$best" ] && printf '%s\n' "$best"
}

# ---------------------------------------------------------------------------------------------------
# Phase 1: base images

# Writes apt sources and settings like those of Debian's official images into a debootstrapped tree:
# the release, its updates and security suites (deb822), no downloaded .deb files kept.
configure_base_tree() {
  local tree=$1
  rm -f "$tree/etc/apt/sources.list"
  cat >"$tree/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security_mirror
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  cat >"$tree/etc/apt/apt.conf.d/docker-clean" <<'EOF'
// An image layer should not carry apt's download cache.
APT::Keep-Downloaded-Packages "false";
EOF
  # The container runtime provides these at run time.
  rm -f "$tree/etc/hostname" "$tree/etc/resolv.conf"
  rm -rf "$tree"/var/cache/apt/archives/*.deb "$tree"/var/cache/apt/*.bin "$tree"/var/lib/apt/lists/* \
         "$tree"/var/log/*.log "$tree"/var/log/apt/* "$tree"/tmp/* "$tree"/root/.bash_history
}

# The slim variant: no manuals, info pages, translations or documentation besides copyright files,
# now and in every package installed later (dpkg path excludes).
slim_base_tree() {
  local tree=$1
  cat >"$tree/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
# Slim image: documentation, manuals and translations are not installed.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
  find "$tree/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$tree/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$tree"/usr/share/man/* "$tree"/usr/share/info/* "$tree"/usr/share/groff/* \
         "$tree"/usr/share/lintian/* "$tree"/usr/share/linda/* "$tree"/usr/share/locale/*
}

import_base() {
  local tarball=$1 tag=$2
  podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    "$tarball" "$tag" >/dev/null || die "podman import $tarball as $tag failed"
  note "imported $tag ($(du -h "$tarball" | cut -f1) tarball)"
}

make_base_images() {
  local refresh=$1 full="$cache/$suite.tar" slim="$cache/$suite-slim.tar"
  if [ "$refresh" = no ] && podman image exists "$base_build_image" && podman image exists "$base_run_image"; then
    note "cached: $base_build_image and $base_run_image ($(cat "$cache/base.info" 2>/dev/null || echo 'origin unknown'))"
    return
  fi
  if [ "$refresh" = no ] && [ -s "$full" ] && [ -s "$slim" ]; then
    note "importing the cached tarballs of $cache"
    import_base "$full" "$base_build_image"
    import_base "$slim" "$base_run_image"
    return
  fi
  mkdir -p "$cache"
  local tree="$cache/rootfs.tmp"
  rm -rf --one-file-system "$tree"
  note "debootstrap --variant=minbase $suite from $mirror (a few minutes)"
  # In a mount namespace of its own: whatever debootstrap mounts in the tree (proc, sys) is gone when
  # it exits, even if it fails half way.
  if ! nice unshare --mount --propagation private --fork \
         debootstrap --variant=minbase --components=main "$suite" "$tree" "$mirror" >"$cache/debootstrap.log" 2>&1; then
    tail -n 30 "$cache/debootstrap.log" >&2
    die "debootstrap failed (log: $cache/debootstrap.log)"
  fi
  configure_base_tree "$tree"
  tar --numeric-owner --xattrs -C "$tree" -cf "$full.tmp" . && mv "$full.tmp" "$full"
  slim_base_tree "$tree"
  tar --numeric-owner --xattrs -C "$tree" -cf "$slim.tmp" . && mv "$slim.tmp" "$slim"
  rm -rf --one-file-system "$tree"
  printf 'debootstrap %s from %s on %s\n' "$suite" "$mirror" "$(date -u +%Y-%m-%dT%H:%MZ)" >"$cache/base.info"
  import_base "$full" "$base_build_image"
  import_base "$slim" "$base_run_image"
}

# ---------------------------------------------------------------------------------------------------
# Phase 2: the image build

build_image() {
  local no_cache=$1 args=() previous
  [ "$no_cache" = yes ] && args+=(--no-cache)
  previous=$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
  # npm must trust what this machine trusts (a TLS-inspecting proxy's CA, say): the machine's bundle is
  # bind-mounted into the build's RUN steps, never copied into a layer.
  if [ -n "$build_ca_certs" ]; then
    [ -r "$build_ca_certs" ] || die "MC_BUILD_CA_CERTS=$build_ca_certs is not a readable file"
    args+=(--volume "$build_ca_certs:/run/build-ca.crt:ro" --build-arg BUILD_CA_CERTS=/run/build-ca.crt)
  fi
  # --format docker: the OCI image format has no HEALTHCHECK (podman drops it with a warning).
  # --pull=never: the base images are the local ones; nothing may come from a registry.
  if ! nice podman build --isolation=chroot --format docker --pull=never --layers "${args[@]}" \
         --build-arg BUILD_IMAGE="$base_build_image" \
         --build-arg RUNTIME_IMAGE="$base_run_image" \
         --build-arg JOBS="$jobs" \
         --tag "$image" --file "$root/Dockerfile" "$root" 2>&1 | tee "$MC_CHECK_WORK/build.log" | filter_build_log; then
    tail -n 40 "$MC_CHECK_WORK/build.log" >&2
    die "podman build failed (the last lines of its log are above; all of it: $MC_CHECK_WORK/build.log with --keep)"
  fi
  local id
  id=$(podman image inspect --format '{{.Id}}' "$image")
  note "built $image: $(podman image inspect --format '{{.Size}}' "$image" | numfmt --to=iec) (${id:0:12})"
  # The image this tag named before is of no further use (the layer cache lives in the build's
  # intermediate images, which stay).
  if [ -n "$previous" ] && [ "$previous" != "$id" ]; then
    podman rmi "$previous" >/dev/null 2>&1 || true
  fi
}

# The build's steps, cache hits, links and errors (without apt's and the compiler's chatter), each line
# with the minutes and seconds since the build began, so slow steps stand out.
filter_build_log() {
  local begun=$SECONDS line took
  local wanted='^((\[[0-9]+/[0-9]+\] )?STEP [0-9]+/|--> Using cache|\[ *[0-9]+%\] Linking|Successfully|Error|.*error:)'
  while IFS= read -r line; do
    if [[ $line =~ $wanted ]]; then
      took=$((SECONDS - begun))
      printf '   [%2d:%02d] %s\n' $((took / 60)) $((took % 60)) "${line:0:150}"
    fi
  done
}

# ---------------------------------------------------------------------------------------------------
# Phase 3: export the image to a root filesystem, and what the image says about how to run it

export_image() {
  local rootfs="$MC_CHECK_WORK/rootfs" container="mc-container-check-$$"
  mkdir -p "$rootfs"
  # podman create makes a container without starting it (podman run cannot work here); its export is
  # the image's filesystem as a container would see it.
  podman create --name "$container" "$image" >/dev/null 2>"$MC_CHECK_WORK/podman-create.err" ||
    { cat "$MC_CHECK_WORK/podman-create.err" >&2; die "podman create $image failed"; }
  exported_container=$container
  podman export "$container" | tar --numeric-owner -xpf - -C "$rootfs" || die "podman export $container failed"
  # (podman reports that it cannot remove a systemd health-check timer it never made: there is no systemd)
  podman rm --volumes "$container" >/dev/null 2>"$MC_CHECK_WORK/podman-rm.err" ||
    { cat "$MC_CHECK_WORK/podman-rm.err" >&2; die "podman rm $container failed"; }
  exported_container=""

  local meta="$MC_CHECK_WORK/image"
  mkdir -p "$meta"
  podman image inspect "$image" >"$meta/inspect.json" || die "podman image inspect $image failed"
  # NUL-separated lists, so values with spaces or newlines survive.
  jq -j '.[0].Config.Env // [] | .[] + "\u0000"' "$meta/inspect.json" >"$meta/env"
  jq -j '(.[0].Config.Entrypoint // []) + (.[0].Config.Cmd // []) | .[] + "\u0000"' "$meta/inspect.json" >"$meta/argv"
  jq -j '(.[0].Config.Healthcheck // .[0].Healthcheck // {}).Test // [] | .[] + "\u0000"' "$meta/inspect.json" >"$meta/healthcheck"
  jq -r '.[0].Config.User // ""' "$meta/inspect.json" >"$meta/user"
  jq -r '.[0].Config.WorkingDir // ""' "$meta/inspect.json" >"$meta/workdir"
  jq -r '.[0].Config.Volumes // {} | keys[]' "$meta/inspect.json" >"$meta/volumes"

  [ -s "$meta/argv" ] || die "the image has neither ENTRYPOINT nor CMD"
  [ -s "$meta/healthcheck" ] || die "the image has no HEALTHCHECK (was it built with --format docker?)"
  local user
  user=$(cat "$meta/user")
  [ -n "$user" ] || die "the image has no USER: it would run as root"
  note "rootfs: $(du -sh "$rootfs" | cut -f1); user $user; workdir $(cat "$meta/workdir");" \
       "command: $(tr '\0' ' ' <"$meta/argv")"
  note "healthcheck: $(tr '\0' ' ' <"$meta/healthcheck" | cut -c1-100)..."
}

# ---------------------------------------------------------------------------------------------------
# Phase 4: the run, in fresh namespaces. Everything below runs inside `unshare` (see main).

inside_namespace() {
  local rootfs="$MC_CHECK_WORK/rootfs" meta="$MC_CHECK_WORK/image"
  # PID 1 of the namespace: it must exit on a signal (a PID 1 ignores those it has no handler for),
  # and when it exits the kernel kills every process left in the namespace.
  trap 'echo "container-check: interrupted" >&2; exit 130' INT TERM
  trap cleanup_inside EXIT

  phase_begin "namespace: loopback only, root filesystem mounts"
  hostname mission-control-check
  ip link set lo up || die "cannot bring up lo in the new network namespace"
  local links
  links=$(ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')
  [ "$links" = "lo " ] || die "the network namespace must hold only lo, it holds: $links"
  [ -z "$(ip route show)" ] || die "the network namespace has routes beyond loopback: $(ip route show)"
  note "interfaces: $links(no routes: nothing reaches beyond loopback)"
  mount_container_filesystems "$rootfs"
  phase_end

  phase_begin "PostgreSQL on 127.0.0.1:$pg_port (inside the namespace)"
  start_postgres
  phase_end

  resolve_image_user "$rootfs" "$(cat "$meta/user")"
  local -a image_env extra_env
  mapfile -d '' -t image_env <"$meta/env"

  phase_begin "run the image's defaults (SQLite store in the volume)"
  extra_env=("MC_AUTH_JWT_SECRET=$jwt_secret")
  run_scenario sqlite "${extra_env[@]}"
  [ -s "$MC_CHECK_WORK/volume-sqlite/$(basename "$(image_env_value MC_STORE_SQLITE_PATH)")" ] ||
    die "the SQLite store is not in the volume directory (it holds: $(find "$MC_CHECK_WORK/volume-sqlite" -mindepth 1 -printf '%f '))"
  note "the SQLite database is in the volume: $(find "$MC_CHECK_WORK/volume-sqlite" -mindepth 1 -printf '%f ')"
  phase_end

  phase_begin "run on PostgreSQL (MC_STORE_BACKEND=postgres)"
  extra_env=("MC_AUTH_JWT_SECRET=$jwt_secret" "MC_STORE_BACKEND=postgres"
             "MC_STORE_POSTGRES_URL=host=127.0.0.1 port=$pg_port dbname=mission_control user=mc")
  run_scenario postgres "${extra_env[@]}"
  phase_end
}

cleanup_inside() {
  local status=$?
  [ "$status" -eq 0 ] || report_failed_phase
  if [ -n "${host_pid:-}" ] && kill -0 "$host_pid" 2>/dev/null; then kill -KILL "$host_pid" 2>/dev/null || true; fi
  if [ -n "${pg_bin:-}" ] && [ -f "$MC_CHECK_WORK/pg/data/postmaster.pid" ]; then
    runuser -u postgres -- "$pg_bin/pg_ctl" stop -m immediate -w -D "$MC_CHECK_WORK/pg/data" >/dev/null 2>&1 || true
  fi
  exit "$status"
}

# What a container runtime provides: /proc of the new PID namespace, a read-only /sys, a minimal
# /dev, /etc/hosts, /etc/resolv.conf and /etc/hostname. The mounts live in this mount namespace only,
# so they vanish with it (nothing to unmount on the host, whatever happens).
mount_container_filesystems() {
  local rootfs=$1 node
  mount --make-rprivate /
  mount -t proc -o nosuid,nodev,noexec proc "$rootfs/proc"
  mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$rootfs/sys"
  mount -t tmpfs -o nosuid,mode=0755,size=64k tmpfs "$rootfs/dev"
  for node in null zero full random urandom tty; do
    touch "$rootfs/dev/$node"
    mount --bind "/dev/$node" "$rootfs/dev/$node"
  done
  mkdir -p "$rootfs/dev/shm" "$rootfs/dev/pts"
  mount -t tmpfs -o nosuid,nodev,mode=1777,size=64m shm "$rootfs/dev/shm"
  ln -s /proc/self/fd "$rootfs/dev/fd"
  ln -s /proc/self/fd/0 "$rootfs/dev/stdin"
  ln -s /proc/self/fd/1 "$rootfs/dev/stdout"
  ln -s /proc/self/fd/2 "$rootfs/dev/stderr"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tmission-control-check\n' \
    >"$MC_CHECK_WORK/hosts"
  : >"$MC_CHECK_WORK/resolv.conf"
  echo mission-control-check >"$MC_CHECK_WORK/hostname"
  for node in hosts resolv.conf hostname; do
    [ -e "$rootfs/etc/$node" ] || touch "$rootfs/etc/$node"
    mount --bind "$MC_CHECK_WORK/$node" "$rootfs/etc/$node"
  done
}

# A private server as the store-postgres tests start one (tests/support/PostgresServer): initdb with
# trust authentication for the user mc, listening on 127.0.0.1 only, run as Debian's postgres user.
start_postgres() {
  pg_bin=$(find_pg_bin) || die "no PostgreSQL server binaries (install the postgresql package)"
  local dir="$MC_CHECK_WORK/pg"
  mkdir -p "$dir/socket"
  chown -R postgres:postgres "$dir"
  runuser -u postgres -- "$pg_bin/initdb" -D "$dir/data" -U mc --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
    --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  if ! runuser -u postgres -- "$pg_bin/pg_ctl" start -w -t 60 -D "$dir/data" -l "$dir/server.log" \
         -o "-p $pg_port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir/socket" >/dev/null; then
    tail -n 30 "$dir/server.log" >&2
    die "PostgreSQL did not start"
  fi
  runuser -u postgres -- "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U mc mission_control ||
    die "createdb mission_control failed"
  note "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') from $pg_bin, database mission_control"
}

# USER as a container runtime reads it: uid[:gid] or a name in the image's /etc/passwd; HOME from there.
resolve_image_user() {
  local rootfs=$1 spec=$2 name=${2%%:*} group="" entry
  [[ $spec == *:* ]] && group=${spec#*:}
  if [[ $name =~ ^[0-9]+$ ]]; then
    entry=$(awk -F: -v id="$name" '$3 == id' "$rootfs/etc/passwd" | head -n 1)
  else
    entry=$(awk -F: -v n="$name" '$1 == n' "$rootfs/etc/passwd" | head -n 1)
  fi
  [ -n "$entry" ] || die "the image's USER $spec is not in its /etc/passwd"
  run_uid=$(cut -d: -f3 <<<"$entry")
  run_gid=${group:-$(cut -d: -f4 <<<"$entry")}
  [[ $run_gid =~ ^[0-9]+$ ]] || run_gid=$(awk -F: -v n="$run_gid" '$1 == n {print $3}' "$rootfs/etc/group")
  run_home=$(cut -d: -f6 <<<"$entry")
  [ "$run_uid" != 0 ] || die "the image runs as root (USER $spec)"
}

# The value of a variable in the image's ENV (empty when it sets none).
image_env_value() {
  local kv
  for kv in "${image_env[@]}"; do
    [ "${kv%%=*}" = "$1" ] && { printf '%s\n' "${kv#*=}"; return; }
  done
  return 0
}

# Sets cmd_line to a command that runs inside the chroot the way a runtime runs a container's
# processes: as the image's user (its uid and gid, no other groups), in WORKDIR, with only the image's
# ENV, HOME and HOSTNAME plus the `docker run -e` style extras given before `--`. chroot and env exec
# what they run, so a background "${cmd_line[@]}" & leaves $! as the container process itself.
container_command() {
  local -a extras=()
  while [ "$1" != -- ]; do extras+=("$1"); shift; done
  shift
  cmd_line=(chroot --userspec="$run_uid:$run_gid" --groups="$run_gid" "$MC_CHECK_WORK/rootfs"
            /usr/bin/env -i -C "${image_workdir:-/}"
            "HOSTNAME=mission-control-check" "HOME=$run_home" "${image_env[@]}" "${extras[@]}" "$@")
}

# The image's HEALTHCHECK as the runtime runs it: ["CMD", argv...] or ["CMD-SHELL", "command"].
healthcheck_command() {
  local -a test
  mapfile -d '' -t test <"$MC_CHECK_WORK/image/healthcheck"
  case ${test[0]} in
    CMD) container_command "$@" -- "${test[@]:1}" ;;
    CMD-SHELL) container_command "$@" -- /bin/sh -c "${test[1]}" ;;
    *) die "the image's HEALTHCHECK is ${test[*]}: expected CMD or CMD-SHELL" ;;
  esac
}

# One start of the image: a fresh volume, the host started with the image's command, /health, an ingest
# and query round trip, the HEALTHCHECK, SIGTERM.
run_scenario() {
  local name=$1 rootfs="$MC_CHECK_WORK/rootfs" meta="$MC_CHECK_WORK/image"
  shift
  local -a extras=("$@") argv
  mapfile -d '' -t argv <"$meta/argv"
  image_workdir=$(cat "$meta/workdir")
  port=$(image_env_value MC_HTTP_PORT)
  port=${port:-8000}
  base="http://127.0.0.1:$port"

  # A fresh volume for each run, with the owner and mode the image gives the directory (as a new named
  # volume starts from the image's content).
  local volume
  while read -r volume; do
    [ -n "$volume" ] || continue
    local host_dir="$MC_CHECK_WORK/volume-$name"
    mkdir -p "$host_dir"
    chown "$(stat -c %u:%g "$rootfs$volume")" "$host_dir"
    chmod "$(stat -c %a "$rootfs$volume")" "$host_dir"
    mount --bind "$host_dir" "$rootfs$volume"
  done <"$meta/volumes"

  local log="$MC_CHECK_WORK/host-$name.log"
  container_command "${extras[@]}" -- "${argv[@]}"
  "${cmd_line[@]}" >"$log" 2>&1 &
  host_pid=$!
  wait_for_health "$log"

  local uid
  uid=$(awk '/^Uid:/ {print $2}' "/proc/$host_pid/status")
  [ "$uid" = "$run_uid" ] || die "the host runs as uid '$uid', not as the image's user ($run_uid)"
  local exe
  exe=$(readlink "/proc/$host_pid/exe")
  note "${exe#"$rootfs"} answers /health, running as uid $uid"

  # The store the host runs on is the one this scenario chose (its dialect is named like it).
  local health
  health=$(curl_api GET /api/health viewer)
  jq -e --arg d "$name" '.store.dialect == $d' <<<"$health" >/dev/null ||
    die "/api/health does not report the $name store: $(jq -c '.store' <<<"$health" | cut -c1-400)"

  ingest_and_query "$name"
  curl -sf --noproxy '*' --max-time 10 "$base/" | grep -qi '<html' ||
    die "GET / does not serve the web console (the image has share/mission-control/console?)"
  note "GET / serves the web console"

  healthcheck_command "${extras[@]}"
  "${cmd_line[@]}" >"$MC_CHECK_WORK/healthcheck.out" 2>&1 ||
    die "the image's HEALTHCHECK failed while the host runs: $(cat "$MC_CHECK_WORK/healthcheck.out")"
  note "HEALTHCHECK passes inside the chroot while the host runs"

  stop_host "$log"
  if "${cmd_line[@]}" >/dev/null 2>&1; then
    die "the image's HEALTHCHECK passes with the host stopped: it does not probe anything"
  fi
  note "HEALTHCHECK fails once the host has stopped"

  while read -r volume; do
    [ -n "$volume" ] && umount "$rootfs$volume"
  done <"$meta/volumes"
}

wait_for_health() {
  local log=$1 deadline=$((SECONDS + 60)) status
  until curl -sf --noproxy '*' --max-time 2 "$base/health" >/dev/null 2>&1; do
    if ! kill -0 "$host_pid" 2>/dev/null; then
      wait "$host_pid" && status=0 || status=$?
      tail -n 40 "$log" >&2
      die "the host exited with status $status before answering /health (its log is above)"
    fi
    if [ $SECONDS -ge $deadline ]; then
      tail -n 40 "$log" >&2
      die "the host did not answer GET /health within 60 s"
    fi
    sleep 0.2
  done
}

stop_host() {
  local log=$1 deadline=$((SECONDS + 30)) status
  kill -TERM "$host_pid"
  while kill -0 "$host_pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  if kill -0 "$host_pid" 2>/dev/null; then
    tail -n 20 "$log" >&2
    die "the host did not stop within 30 s of SIGTERM"
  fi
  wait "$host_pid" && status=0 || status=$?
  host_pid=""
  [ "$status" -eq 0 ] || { tail -n 20 "$log" >&2; die "the host exited with status $status on SIGTERM"; }
  note "SIGTERM: the host stopped cleanly (exit 0)"
}

# An HS256 JWT with the given role, signed with the run's secret (what an operator's token is).
make_jwt() {
  local role=$1 header payload signature
  b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
  header=$(printf '{"alg":"HS256","typ":"JWT"}' | b64url)
  payload=$(printf '{"sub":"container-check","role":"%s","exp":%d}' "$role" $(($(date +%s) + 600)) | b64url)
  signature=$(printf '%s.%s' "$header" "$payload" | openssl dgst -sha256 -hmac "$jwt_secret" -binary | b64url)
  printf '%s.%s.%s' "$header" "$payload" "$signature"
}

# curl_api METHOD PATH ROLE [JSON body]: the body of a 2xx answer, or a failure naming the status.
curl_api() {
  local method=$1 path=$2 role=$3 body=${4:-} out status
  local -a args=(-s --noproxy '*' --max-time 15 -X "$method" -H "Authorization: Bearer $(make_jwt "$role")"
                 -o "$MC_CHECK_WORK/answer" -w '%{http_code}')
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  status=$(curl "${args[@]}" "$base$path") || die "$method $path: no answer from the host"
  out=$(cat "$MC_CHECK_WORK/answer")
  [[ $status == 2* ]] || die "$method $path answered $status: $out"
  printf '%s' "$out"
}

ingest_and_query() {
  local name=$1 id
  id="cc-$name-$(date +%s)-$RANDOM"
  local thread="T-$id" step="S-$id" logid="L-$id" message="container check $id"
  local body answer
  body=$(jq -cn --arg t "$thread" --arg s "$step" --arg l "$logid" --arg m "$message" '{events: [
    {type: "thread", id: $t, status: "running", mcp_id: "container-check", user_input: "round trip"},
    {type: "step", id: $s, thread_id: $t, sequence: 1, step_type: "llm_call", duration_ms: 12},
    {type: "log", id: $l, level: "info", service: "container-check", mcp_id: "container-check",
     thread_id: $t, message: $m}]}')
  answer=$(curl_api POST /api/ingest operator "$body")
  jq -e '.accepted == 3 and (.rejected | length) == 0' <<<"$answer" >/dev/null ||
    die "POST /api/ingest did not accept the 3 events: $answer"

  # The reply comes after the commit, so the store answers with them at once.
  answer=$(curl_api GET "/api/threads/$thread" viewer)
  jq -e --arg t "$thread" --arg s "$step" \
    '.items[0].id == $t and .items[0].status == "running" and ([.items[0].timeline[].id] | index($s)) != null' \
    <<<"$answer" >/dev/null || die "GET /api/threads/$thread does not return the ingested thread and step: $answer"
  answer=$(curl_api GET "/api/logs?thread_id=$thread" viewer)
  jq -e --arg m "$message" '[.items[].message] | index($m) != null' <<<"$answer" >/dev/null ||
    die "GET /api/logs?thread_id=$thread does not return the ingested log: $answer"
  note "ingest -> query: thread $thread, its step and its log came back from the $name store"
}

# ---------------------------------------------------------------------------------------------------
# Phase 5: the compose file

check_compose() {
  local file="$root/docker-compose.dev.yml" out
  [ -f "$file" ] || die "docker-compose.dev.yml is missing"
  out=$(cd "$root" && docker-compose -f "$file" config 2>&1) || { printf '%s\n' "$out" >&2; die "docker-compose config rejects $file"; }
  local services
  services=$(cd "$root" && docker-compose -f "$file" config --services | sort | tr '\n' ' ')
  note "docker-compose $(docker-compose version --short 2>/dev/null) accepts it; services: $services"
  # The cluster profile: NATS and three hosts, each with its own id and port.
  out=$(cd "$root" && docker-compose -f "$file" --profile cluster config 2>&1) ||
    { printf '%s\n' "$out" >&2; die "docker-compose config rejects the cluster profile of $file"; }
  for host in mc-1 mc-2 mc-3; do
    grep -q "MC_CLUSTER_HOST_ID: $host" <<<"$out" || die "the cluster profile gives $host no MC_CLUSTER_HOST_ID"
  done
  note "the cluster profile: nats and mc-1..mc-3 (cluster.enabled, one host id each)"
}

# ---------------------------------------------------------------------------------------------------

exported_container=""
unshare_pid=""
keep=no

# Ends the run in the namespace early (an interrupt, a failure out here). unshare --fork blocks SIGINT
# and SIGTERM while it waits, so the signal goes to the namespace's PID 1 (the script's second half,
# which stops PostgreSQL on its way out); if that takes more than 5 s, SIGKILL to unshare makes the
# kernel kill the whole namespace (--kill-child).
stop_namespace() {
  local inner tries=50
  kill -0 "$unshare_pid" 2>/dev/null || return 0
  inner=$(pgrep -P "$unshare_pid" || true)
  [ -z "$inner" ] || kill -TERM "$inner" 2>/dev/null || true
  while kill -0 "$unshare_pid" 2>/dev/null && [ $((tries -= 1)) -gt 0 ]; do sleep 0.1; done
  kill -KILL "$unshare_pid" 2>/dev/null || true
  wait "$unshare_pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  [ -z "$unshare_pid" ] || stop_namespace
  if [ -n "$exported_container" ]; then
    podman rm --force --volumes "$exported_container" >/dev/null 2>&1 || true
  fi
  [ "$status" -eq 0 ] || report_failed_phase
  # The summary is read before the work directory goes, and counts its removal (190 MB of files).
  local phases cleanup_started=$SECONDS
  phases=$(cat "$MC_CHECK_WORK/phases" 2>/dev/null || true)
  if [ "$keep" = yes ]; then
    echo "container-check: work directory kept: $MC_CHECK_WORK"
  else
    # The namespace's mounts were never visible here, so removing the tree cannot reach through them;
    # --one-file-system guards against anything else.
    rm -rf --one-file-system "$MC_CHECK_WORK"
  fi
  local result=PASSED
  [ "$status" -eq 0 ] || result=FAILED
  print_summary "$result" "$((SECONDS - started))" \
    "$(printf '%s\n%d\tclean up (work directory)\n' "$phases" $((SECONDS - cleanup_started)))"
  exit "$status"
}

main() {
  local refresh=no no_cache=no arg
  for arg in "$@"; do
    case $arg in
      --cold) refresh=yes no_cache=yes ;;
      --refresh-base) refresh=yes ;;
      --no-cache) no_cache=yes ;;
      --keep) keep=yes ;;
      -h | --help) sed -n '2,/^set -euo/p' "$self" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
      *) die "unknown argument $arg (see --help)" ;;
    esac
  done
  require_root
  started=$SECONDS
  MC_CHECK_WORK=$(mktemp -d /var/tmp/mc-container-check.XXXXXX)
  chmod 0755 "$MC_CHECK_WORK" # PostgreSQL's user must reach its data directory below it
  export MC_CHECK_WORK
  trap cleanup EXIT
  trap 'echo "container-check: interrupted" >&2; exit 130' INT TERM

  phase_begin "prerequisites"
  install_prerequisites
  phase_end

  phase_begin "base images (debootstrap $suite, cached in $cache)"
  make_base_images "$refresh"
  phase_end

  phase_begin "podman build --isolation=chroot (build stage + slim run stage)"
  build_image "$no_cache"
  phase_end

  phase_begin "export the image to a root filesystem"
  export_image
  phase_end

  # The run: new network (only lo), PID, mount, UTS and IPC namespaces; the script's own second half
  # runs as their PID 1 and everything it starts dies with it.
  jwt_secret=$(openssl rand -hex 32)
  export jwt_secret
  unshare --net --pid --mount --uts --ipc --fork --kill-child --mount-proc --propagation private \
    bash "$self" --inside-namespace &
  unshare_pid=$!
  wait "$unshare_pid" || die "the run inside the namespace failed (see above)"
  unshare_pid=""

  phase_begin "docker-compose.dev.yml (docker-compose config)"
  check_compose
  phase_end

}

if [ "${1:-}" = --inside-namespace ]; then
  inside_namespace
else
  main "$@"
fi
