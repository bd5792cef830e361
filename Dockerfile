# syntax=docker/dockerfile:1
# The Matchpoint image: one static binary (every subcommand) and a health probe,
# on distroless (CA certificates, time zones, no shell), as a non-root user.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t matchpoint .
#   docker run --rm -p 8080:8080 -p 7000:7000 matchpoint     # `matchpoint dev`

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
ENV CGO_ENABLED=0
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/matchpoint ./cmd/matchpoint && \
    go build -trimpath -ldflags "-s -w" -o /out/healthcheck ./cmd/healthcheck

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/matchpoint /matchpoint
COPY --from=build /out/healthcheck /healthcheck
# 65532 is distroless's "nonroot".
USER 65532:65532
# API, dashboard and matchmaker metrics; relay WebSocket and UDP fast path; relay admin.
EXPOSE 8080/tcp 7000/tcp 7000/udp 9100/tcp
ENTRYPOINT ["/matchpoint"]
# Without a command: the all-in-one dev stack, reachable from the host.
CMD ["dev", "--http-addr", "0.0.0.0:8080", "--relay-addr", "0.0.0.0:7000"]
