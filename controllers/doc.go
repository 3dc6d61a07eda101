// Package controllers reconciles every kind the operator manages: TransferServer,
// TransferUser, TransferAccess, TransferWorkflow and AWSAccount (the table in kinds.go).
//
// Every kind runs through one pass (reconciler.go): read the object; on deletion, wait for what
// uses its resource, honour deletionPolicy and delete where the resource was made; otherwise add
// the finalizer, resolve where the resource lives (placement.go), what the object asks for, and
// observe, create or update it; then end the pass in one place, which gives the error its meaning
// once (outcome.go), sets kstatus conditions and writes the status once (status.go). A kind's
// file says what should happen; internal/transfer decides the AWS calls. docs/adding-a-kind.md
// walks through adding one.
package controllers
