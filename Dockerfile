# Build: docker build --build-arg VERSION=v0.1.0 -t transfer-operator .
# The build stage runs `make build`, the same command developers and CI run.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN make build VERSION=${VERSION}

# A static binary on distroless: no shell, no package manager, non-root.
FROM gcr.io/distroless/static:nonroot
ARG VERSION=dev
LABEL org.opencontainers.image.title="transfer-operator" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/transfer-operator/transfer-operator"
COPY --from=build /src/bin/transfer-operator /transfer-operator
USER 65532:65532
ENTRYPOINT ["/transfer-operator"]
