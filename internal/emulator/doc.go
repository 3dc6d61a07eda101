// Package emulator is a wire-compatible emulator of the AWS Transfer Family API
// (service model transfer-2018-11-05, protocol awsJson1_1) for tests, benchmarks
// and demos.
//
// An Emulator is an http.Handler. The unmodified aws-sdk-go-v2 transfer client
// (or the AWS CLI) talks to it when its endpoint is set to the emulator's URL.
// It implements the server, user, SSH key, workflow, execution, connector and tag
// operations; with the data plane (dataplane.go) uploads run their server's workflow
// (executions.go, steps.go), and SFTP connectors really connect to their partners
// (connector_dataplane.go). Every input is
// validated against the embedded service model (required members, enums,
// lengths, list sizes, numeric ranges and patterns) and against the cross-field
// rules stated in the API reference; each rule (rules.go, servers.go,
// users.go) quotes its source. Each resource family is its records and rules in a
// file of its own (servers.go, users.go, accesses.go, workflows.go, connectors.go); what they
// share, storage, listing pages, errors, ARNs and tags, is in family.go,
// pagination.go, arns.go and tags.go. On the same listener it serves the EC2 subset of
// VPC servers (ec2_*.go), the STS subset that assumes roles (sts_*.go), the Secrets
// Manager subset that holds connectors' credentials (secretsmanager*.go) and the S3 API
// of the data plane's store (s3.go), told apart by their SigV4 scope; each request is
// served in the account of its signing credentials (accounts.go).
//
// Tests steer the emulator through the Go API (latency, rate limits, injected
// faults, out-of-band changes, call counters, snapshots) or through the same
// controls served as JSON under AdminPrefix on the emulator's own listener.
package emulator
