# Mission Control: the host, its plugins, migrations and web console in one image.
#
#   docker build -t mission-control .
#   docker run --rm -p 127.0.0.1:8000:8000 -e MC_AUTH_JWT_SECRET=<32 random bytes> \
#              -v mc-data:/var/lib/mission-control mission-control
#
# Stages: "console" bundles the web console with node; "build" compiles the host and plugins on Debian
# bookworm with the -dev packages of scripts/deps.sh; the final stage is bookworm-slim with only the
# shared libraries the binary and the plugins link (their NEEDED entries: Poco, spdlog/fmt,
# Boost.Filesystem, libpq, SQLite, OpenSSL, libnats, tcmalloc). See docs/containers.md.
#
# The base images are build arguments so a machine without registry access can build from images it
# made itself (scripts/container-check.sh builds bookworm with debootstrap and passes them here).
ARG BUILD_IMAGE=debian:bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---------------------------------------------------------------------------------------------------
# The web console (console/: TypeScript, Preact), type-checked and bundled by scripts/console.sh with the
# npm packages its lock file pins, as the CMake target mc_console does. A stage of its own: node and
# npm stay out of the C++ build, and a console edit does not recompile the host.
FROM ${BUILD_IMAGE} AS console

# ON: build the console (needs the npm registry during the build); OFF: a host without one (/ answers 404).
ARG BUILD_CONSOLE=ON
# Behind a TLS-inspecting proxy: the path of a CA bundle that npm must trust, bind-mounted for the build
# only (podman build -v /etc/ssl/certs/ca-certificates.crt:/run/build-ca.crt:ro
# --build-arg BUILD_CA_CERTS=/run/build-ca.crt); it is never copied into a layer.
ARG BUILD_CA_CERTS=
ARG DEBIAN_FRONTEND=noninteractive
RUN set -eux; \
    if [ "$BUILD_CONSOLE" = ON ]; then \
        apt-get update; \
        apt-get install -y --no-install-recommends ca-certificates nodejs npm; \
        rm -rf /var/lib/apt/lists/*; \
    fi

WORKDIR /src
COPY console/ console/
COPY scripts/console.sh scripts/
RUN set -eu; \
    mkdir -p /out; \
    if [ "$BUILD_CONSOLE" = ON ]; then \
        if [ -n "$BUILD_CA_CERTS" ]; then \
            export NODE_EXTRA_CA_CERTS="$BUILD_CA_CERTS" npm_config_cafile="$BUILD_CA_CERTS"; \
        fi; \
        scripts/console.sh /out/console; \
        rm -rf /root/.npm; \
    fi

# ---------------------------------------------------------------------------------------------------
# The host and its plugins.
FROM ${BUILD_IMAGE} AS build

# RelWithDebInfo is what the project builds and tests by default; the installed files are stripped.
ARG BUILD_TYPE=RelWithDebInfo
# Parallel compile jobs: each g++ of the host takes up to ~1 GB, so keep this near the machine's cores.
ARG JOBS=2

ARG DEBIAN_FRONTEND=noninteractive
# The build packages of `scripts/deps.sh build`, minus the test framework (tests are not built here)
# and node/npm (the console stage has them).
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates cmake g++ make pkg-config \
        libpoco-dev libboost-dev libboost-filesystem-dev libspdlog-dev libfmt-dev libpq-dev libssl-dev libnats-dev \
        libtcmalloc-minimal4; \
    rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Only what the compile reads, so edits to docs, tests, benchmarks or the console keep this cached.
COPY CMakeLists.txt ./
COPY cmake/ cmake/
COPY sdk/ sdk/
COPY libs/ libs/
COPY host/ host/
COPY plugins/ plugins/
COPY migrations/ migrations/

# The install tree is /opt/mission-control: bin/mission-control, share/mission-control/migrations
# (the console stage adds share/mission-control/console), and the plugins in
# lib/mission-control/plugins (where plugins.dir = auto looks beside an installed binary). The plugins
# have no install rule of their own, so they are copied from the build tree's plugins/ directory. The
# build tree (~700 MB with debug info) is removed in the same step, so the layer holds only /stage.
RUN set -eux; \
    cmake -S . -B /build \
          -DCMAKE_BUILD_TYPE="$BUILD_TYPE" \
          -DCMAKE_INSTALL_PREFIX=/opt/mission-control \
          -DMC_BUILD_TESTS=OFF -DMC_BUILD_BENCH=OFF -DMC_BUILD_FUZZERS=OFF -DMC_BUILD_CONSOLE=OFF; \
    cmake --build /build -j "$JOBS"; \
    DESTDIR=/stage cmake --install /build --component Unspecified --strip; \
    plugins=/stage/opt/mission-control/lib/mission-control/plugins; \
    install -d "$plugins"; \
    install -m 0755 /build/plugins/*.so "$plugins/"; \
    strip --strip-unneeded "$plugins"/*.so; \
    rm -rf /build; \
    find /stage -type f | sort

# ---------------------------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE}

ARG DEBIAN_FRONTEND=noninteractive
# The runtime libraries of the NEEDED entries of bin/mission-control and plugins/*.so (ldd lists their
# own dependencies, which apt pulls in), plus CA certificates for https MCP servers, TLS to PostgreSQL
# and OTLP export.
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends \
        ca-certificates \
        libpocofoundation80 libpocoutil80 libpoconet80 libpoconetssl80 libpocojson80 libpocojwt80 \
        libpocodata80 libpocodatasqlite80 \
        libspdlog1.10 libfmt9 libboost-filesystem1.74.0 libssl3 libpq5 libsqlite3-0 libnats3.4 \
        libtcmalloc-minimal4; \
    rm -rf /var/lib/apt/lists/*

# A fixed, non-root uid/gid, so volume ownership and Kubernetes' runAsNonRoot can rely on them.
ARG MC_UID=10001
ARG MC_GID=10001
RUN set -eux; \
    groupadd --system --gid "$MC_GID" mission-control; \
    useradd --system --uid "$MC_UID" --gid mission-control --home-dir /var/lib/mission-control \
            --no-create-home --shell /usr/sbin/nologin mission-control; \
    install -d -o mission-control -g mission-control -m 0750 /var/lib/mission-control

COPY --from=build /stage/opt/mission-control/ /opt/mission-control/
COPY --from=console /out/ /opt/mission-control/share/mission-control/
# Fail the build here, not at start-up, when a library the binary or a plugin needs is missing.
RUN set -eu; \
    if ldd /opt/mission-control/bin/mission-control /opt/mission-control/lib/mission-control/plugins/*.so \
         | grep 'not found'; then \
        echo "a shared library is missing from the runtime stage (add its package above)" >&2; exit 1; \
    fi

# Configuration is by MC_* variables (docs/configuration.md: key a.b_c is MC_A_B_C). Inside a
# container the host listens on every interface; a non-loopback http.host makes the host refuse to
# start without MC_AUTH_JWT_SECRET (or an explicit MC_HTTP_ALLOW_REMOTE_WITHOUT_AUTH=true).
# The OTLP receiver's own listener (port 4318) follows, for agents outside the container. The SQLite
# store (the default backend) lives in the volume; MC_STORE_BACKEND=postgres with
# MC_STORE_POSTGRES_URL switches to PostgreSQL.
ENV MC_HTTP_HOST=0.0.0.0 \
    MC_HTTP_PORT=8000 \
    MC_PLUGINS_DIR=/opt/mission-control/lib/mission-control/plugins \
    MC_STORE_BACKEND=sqlite \
    MC_STORE_SQLITE_PATH=/var/lib/mission-control/mission-control.db \
    MC_RECEIVER_OTLP_LISTEN=0.0.0.0:4318 \
    PATH=/opt/mission-control/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

USER ${MC_UID}:${MC_GID}
WORKDIR /var/lib/mission-control
VOLUME ["/var/lib/mission-control"]
EXPOSE 8000 4318

# Liveness: GET /health must answer 200. bash's /dev/tcp makes the request (the slim image has no curl,
# and adding it pulls a dozen libraries); it speaks plain HTTP, so with http.tls.* set, override it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${MC_HTTP_PORT:-8000} && printf 'GET /health HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && IFS= read -r -t 4 status <&3 && [[ $status == 'HTTP/1.'?' 200 '* ]] || { echo \"/health did not answer 200: ${status:-no answer}\"; exit 1; }"]

# The host runs in the foreground, logs to stderr and stops cleanly on SIGTERM (docker stop).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/opt/mission-control/bin/mission-control"]
CMD []
