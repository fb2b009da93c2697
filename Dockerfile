# alignbot's container image: one static binary on an empty base.
#
#   docker build -t alignbot .
#   docker run --env-file alignbot.env -p 8080:8080 alignbot
#
# The binary embeds the time-zone data and Mozilla's CA roots, so the image
# needs no system files. It has no PostgreSQL: set DATABASE_URL (compose.yaml
# runs one beside it).

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN .ci/build /out/alignbot

FROM scratch
COPY --from=build /out/alignbot /alignbot
# Not root: any unprivileged ID works, the image has no files to own.
USER 65532:65532
ENV ALIGNBOT_HTTP_ADDR=:8080 \
    ALIGNBOT_LOG_FORMAT=json
EXPOSE 8080
# /healthz: the process is alive. /readyz (Socket Mode connected, database
# reachable and migrated) is for an orchestrator's readiness probe.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/alignbot", "healthcheck"]
ENTRYPOINT ["/alignbot"]
CMD ["run"]
