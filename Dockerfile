# syntax=docker/dockerfile:1
#
# helpdesk: one static binary (CGO_ENABLED=0; the SQLite driver is pure Go)
# on a small Alpine runtime, run as a non-root user.
#
#   docker build -t helpdesk .
#   docker run --rm -p 127.0.0.1:8080:8080 -v helpdesk-data:/data -e HELPDESK_ADMIN_TOKEN=... helpdesk   # serve: API + worker, embedded SQLite and Temporal
#   docker run --rm -e DATABASE_URL=... -e TEMPORAL_ADDRESS=... helpdesk api
#
# The in-process Temporal frontend listens on the container's loopback
# (HELPDESK_TEMPORAL_LISTEN=127.0.0.1:7233); to look at ticket workflows
# with the temporal CLI from the host, add
# -e HELPDESK_TEMPORAL_LISTEN=0.0.0.0:7233 -p 127.0.0.1:7233:7233.
#
# The runtime is Alpine rather than distroless so that a container
# healthcheck can call busybox `wget` against /readyz (see docker-compose.yml).
# The image has no HEALTHCHECK of its own: the same image also runs
# `worker` and `migrate`, which serve no HTTP.

# The go directive in go.mod (1.26.8) is the minimum: golang:1.26 tracks the
# newest 1.26.x patch release.
ARG GO_VERSION=1.26
ARG ALPINE_VERSION=3.24

# ---- build -----------------------------------------------------------------
# Runs on the build machine's platform and cross-compiles for the target one
# (pure Go, so `docker buildx build --platform linux/arm64` needs no emulation).
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
ENV CGO_ENABLED=0

# Modules first, so that editing the code does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

COPY . .
ARG TARGETOS
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w" -o /out/helpdesk ./cmd/helpdesk

# ---- runtime ---------------------------------------------------------------
FROM alpine:${ALPINE_VERSION}

# ca-certificates: smtps:// and HTTPS webhooks. Time zones need no tzdata:
# the binary embeds it (time/tzdata).
RUN apk add --no-cache ca-certificates \
 && addgroup -S -g 10001 helpdesk \
 && adduser -S -D -H -u 10001 -G helpdesk -h /data helpdesk \
 && mkdir -p /data \
 && chown helpdesk:helpdesk /data

COPY --from=build /out/helpdesk /usr/local/bin/helpdesk

# Numeric, so that runtimes enforcing runAsNonRoot can verify it.
USER 10001:10001
WORKDIR /data

# Listen on all interfaces inside the container. /data holds the embedded
# SQLite database and Temporal files when DATABASE_URL / TEMPORAL_ADDRESS are
# unset (unused otherwise); mount a volume there to keep them. No VOLUME
# instruction: it would give every api/worker/migrate container an unused
# anonymous volume.
ENV HELPDESK_ADDR=0.0.0.0:8080 \
    HELPDESK_DATA_DIR=/data
EXPOSE 8080

ENTRYPOINT ["/usr/local/bin/helpdesk"]
CMD ["serve"]
