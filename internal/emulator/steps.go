package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"k8s.io/utils/clock"
)

// The steps of a workflow execution, as the SDK's step details describe them
// (github.com/aws/aws-sdk-go-v2/service/transfer/types: CopyStepDetails, TagStepDetails,
// DeleteStepDetails, DecryptStepDetails, CustomStepDetails). Each step reads the file its
// SourceFileLocation names, "${previous.file}" (the default: the output of the step before, the
// uploaded file for the first step) or "${original.file}" (the uploaded file), and its output is
// the file the next step's ${previous.file} names: a COPY's or DECRYPT's destination, the file
// itself for the others. A failing step is reported with an ExecutionError of the type the SDK
// documents for the case.

// ExecutionErrorType values of the service model (SDK ExecutionError.Type).
const (
	errTypeAlreadyExists    = "ALREADY_EXISTS"
	errTypeBadRequest       = "BAD_REQUEST"
	errTypeCustomStepFailed = "CUSTOM_STEP_FAILED"
	errTypeInternal         = "INTERNAL_SERVER_ERROR"
	errTypeNotFound         = "NOT_FOUND"
	errTypeTimeout          = "TIMEOUT"
)

const (
	previousFile = "${previous.file}"
	originalFile = "${original.file}"
	// maxCustomStepTimeout is the longest TimeoutSeconds the model allows (1800); a CUSTOM step
	// without one waits that long, the emulator's reading, as the SDK states no default.
	maxCustomStepTimeout = 1800 * time.Second
	// customTargetHeader carries a CUSTOM step's Target (the Lambda ARN) to the custom step
	// endpoint, so one endpoint can stand for several functions.
	customTargetHeader = "X-Transfer-Emulator-Target"
)

// fileRef is a file of the data plane: a domain (S3 or EFS), a root (bucket or file system ID)
// and a key below it.
type fileRef struct {
	domain, root, key string
}

func (f fileRef) String() string {
	if f.domain == domainEFS {
		return "efs://" + f.root + "/" + f.key
	}
	return "s3://" + f.root + "/" + f.key
}

// storeOf returns the storage of a domain.
func (d *dataPlane) storeOf(domain string) storage {
	if domain == domainEFS {
		return d.efs
	}
	return d.s3
}

// location describes a file as the API does (SDK FileLocation): an S3 object with its ETag, or
// an EFS file system and the file's absolute path in it.
func (d *dataPlane) location(f fileRef) FileLocation {
	if f.domain == domainEFS {
		return FileLocation{EfsFileLocation: &EfsFileLocation{FileSystemID: f.root, Path: "/" + f.key}}
	}
	return FileLocation{S3FileLocation: &S3FileLocation{Bucket: f.root, Key: f.key, Etag: d.s3.etag(f.root, f.key)}}
}

// uploaded runs the workflow the server runs for an upload of user in SSH session sessionID,
// in the background, as AWS runs it after the upload.
func (d *dataPlane) uploaded(key serverKey, userName, sessionID string, file fileRef, partial bool) {
	a := d.e.account(key.account)
	x, wf := a.startExecution(key, userName, sessionID, file, d.location(file), partial)
	if x == nil {
		return
	}
	d.logf("server %s (%s): %s uploaded %s; workflow %s runs as execution %s", key.serverID, key.region, userName, file, wf.WorkflowID, x.rec.ExecutionID)
	d.wg.Go(func() { d.execute(a, x, wf) })
}

// execute runs the steps of wf and, when one fails, its exception steps (user guide,
// "Exception handling for a workflow": a failed step stops the nominal steps and the exception
// handler steps run); the execution ends COMPLETED or EXCEPTION.
func (d *dataPlane) execute(a *Emulator, x *executionState, wf WorkflowRecord) {
	previous := x.original
	status := ExecutionCompleted
	for _, step := range wf.Steps {
		out, res := d.runStep(a, x, step, previous)
		a.recordStep(x, res, false)
		if res.Error != nil {
			status = ExecutionException
			break
		}
		previous = out
	}
	if status == ExecutionException && len(wf.OnExceptionSteps) > 0 {
		a.setExecutionStatus(x, ExecutionHandlingException)
		for _, step := range wf.OnExceptionSteps {
			out, res := d.runStep(a, x, step, previous)
			a.recordStep(x, res, true)
			if res.Error != nil {
				break
			}
			previous = out
		}
	}
	a.setExecutionStatus(x, status)
	d.logf("workflow %s: execution %s ended %s", wf.WorkflowID, x.rec.ExecutionID, status)
}

// stepError is an ExecutionError of a step.
func stepError(typ, format string, args ...any) *ExecutionError {
	return &ExecutionError{Type: typ, Message: fmt.Sprintf(format, args...)}
}

// runStep runs one step on the file previous and returns its output file and result.
func (d *dataPlane) runStep(a *Emulator, x *executionState, step WorkflowStep, previous fileRef) (fileRef, ExecutionStepResult) {
	res := ExecutionStepResult{StepType: step.Type}
	var out fileRef
	switch step.Type {
	case stepCopy:
		out, res.Error = d.copyStep(x, *step.CopyStepDetails, previous)
	case stepTag:
		out, res.Outputs, res.Error = d.tagStep(x, *step.TagStepDetails, previous)
	case stepDelete:
		out, res.Error = d.deleteStep(x, *step.DeleteStepDetails, previous)
	case stepDecrypt:
		out, res.Error = d.decryptStep(a, x, *step.DecryptStepDetails, previous)
	case stepCustom:
		out, res.Error = d.customStep(a, x, *step.CustomStepDetails, previous)
	default:
		res.Error = stepError(errTypeBadRequest, "unknown step type %s", step.Type)
	}
	return out, res
}

// source resolves a step's SourceFileLocation.
func (x *executionState) source(spec string, previous fileRef) (fileRef, *ExecutionError) {
	switch spec {
	case "", previousFile:
		return previous, nil
	case originalFile:
		return x.original, nil
	}
	return fileRef{}, stepError(errTypeBadRequest, "SourceFileLocation %s is neither %s nor %s", spec, previousFile, originalFile)
}

// destination resolves a COPY or DECRYPT step's DestinationFileLocation for the file src.
// ${Transfer:UserName} and ${Transfer:UploadDate} (YYYY-MM-DD, UTC) are replaced (SDK
// CopyStepDetails.DestinationFileLocation; the user guide writes them ${transfer:...} too, so
// both spellings are taken). A key that is empty or ends in "/" is a folder: the file keeps its
// name in it (the SDK's "prefixed with the name of the Transfer Family user").
func (x *executionState) destination(loc *InputFileLocation, src fileRef) (fileRef, *ExecutionError) {
	expand := strings.NewReplacer(
		"${Transfer:UserName}", x.userName, "${transfer:UserName}", x.userName,
		"${Transfer:UploadDate}", x.uploadDate, "${transfer:UploadDate}", x.uploadDate,
	).Replace
	var dst fileRef
	switch {
	case loc == nil:
		return fileRef{}, stepError(errTypeBadRequest, "the step has no DestinationFileLocation")
	case loc.S3FileLocation != nil:
		dst = fileRef{domain: domainS3, root: loc.S3FileLocation.Bucket, key: strings.TrimPrefix(expand(loc.S3FileLocation.Key), "/")}
	case loc.EfsFileLocation != nil:
		p := expand(loc.EfsFileLocation.Path)
		key := strings.TrimPrefix(path.Clean("/"+p), "/")
		if strings.HasSuffix(p, "/") && key != "" {
			key += "/"
		}
		dst = fileRef{domain: domainEFS, root: loc.EfsFileLocation.FileSystemID, key: key}
	default:
		return fileRef{}, stepError(errTypeBadRequest, "DestinationFileLocation names neither S3 nor EFS")
	}
	if dst.key == "" || strings.HasSuffix(dst.key, "/") {
		dst.key += path.Base(src.key)
	}
	return dst, nil
}

// existing reports whether a file exists, as a step error when it does not.
func (d *dataPlane) existing(f fileRef) *ExecutionError {
	info, err := d.storeOf(f.domain).stat(f.root, f.key)
	switch {
	case errors.Is(err, fs.ErrNotExist) || (err == nil && info.IsDir()):
		return stepError(errTypeNotFound, "%s does not exist", f)
	case err != nil:
		return stepError(errTypeInternal, "%s: %v", f, err)
	}
	return nil
}

// mayWrite refuses a destination that exists unless OverwriteExisting is TRUE (SDK
// CopyStepDetails.OverwriteExisting: "If OverwriteExisting is FALSE, nothing happens, and the
// workflow processing stops"; ExecutionError ALREADY_EXISTS).
func (d *dataPlane) mayWrite(dst fileRef, overwrite string) *ExecutionError {
	if overwrite == "TRUE" {
		return nil
	}
	if _, err := d.storeOf(dst.domain).stat(dst.root, dst.key); err == nil {
		return stepError(errTypeAlreadyExists, "%s already exists and OverwriteExisting is not TRUE", dst)
	}
	return nil
}

// copyStep copies a file within S3 (SDK CreateWorkflowInput.Steps: "Currently, copying and
// tagging are supported only on S3").
func (d *dataPlane) copyStep(x *executionState, c CopyStepDetails, previous fileRef) (fileRef, *ExecutionError) {
	src, serr := x.source(c.SourceFileLocation, previous)
	if serr != nil {
		return fileRef{}, serr
	}
	dst, serr := x.destination(c.DestinationFileLocation, src)
	if serr != nil {
		return fileRef{}, serr
	}
	if src.domain != domainS3 || dst.domain != domainS3 {
		return fileRef{}, stepError(errTypeBadRequest, "copying is supported only on S3")
	}
	if serr := d.existing(src); serr != nil {
		return fileRef{}, serr
	}
	if serr := d.mayWrite(dst, c.OverwriteExisting); serr != nil {
		return fileRef{}, serr
	}
	if err := d.s3.createBucket(dst.root); err != nil {
		return fileRef{}, stepError(errTypeInternal, "%s: %v", dst, err)
	}
	if _, err := d.s3.backend.CopyObject(src.root, src.key, dst.root, dst.key, nil); err != nil {
		return fileRef{}, stepError(errTypeInternal, "copying %s to %s: %v", src, dst, err)
	}
	d.s3.dropTags(dst.root, dst.key)
	return dst, nil
}

// tagStep adds S3 object tags to a file, replacing the values of keys it has; only S3 files
// can be tagged (SDK ExecutionError BAD_REQUEST: "a step that attempts to tag an EFS file
// returns BAD_REQUEST"). Its Outputs are the tags applied, as JSON
// ({"tags":[{"key":...,"value":...}]}, the emulator's reading of StepResultOutputsJson).
func (d *dataPlane) tagStep(x *executionState, t TagStepDetails, previous fileRef) (fileRef, string, *ExecutionError) {
	src, serr := x.source(t.SourceFileLocation, previous)
	if serr != nil {
		return fileRef{}, "", serr
	}
	if src.domain != domainS3 {
		return fileRef{}, "", stepError(errTypeBadRequest, "only S3 files can be tagged: %s is on EFS", src)
	}
	if serr := d.existing(src); serr != nil {
		return fileRef{}, "", serr
	}
	d.s3.addTags(src.root, src.key, t.Tags)
	type tag struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	}
	out := struct {
		Tags []tag `json:"tags"`
	}{Tags: []tag{}}
	for _, tg := range t.Tags {
		out.Tags = append(out.Tags, tag(tg))
	}
	outputs, _ := json.Marshal(out)
	return src, string(outputs), nil
}

// deleteStep deletes a file.
func (d *dataPlane) deleteStep(x *executionState, del DeleteStepDetails, previous fileRef) (fileRef, *ExecutionError) {
	src, serr := x.source(del.SourceFileLocation, previous)
	if serr != nil {
		return fileRef{}, serr
	}
	if serr := d.existing(src); serr != nil {
		return fileRef{}, serr
	}
	if err := d.storeOf(src.domain).remove(src.root, src.key); err != nil {
		return fileRef{}, stepError(errTypeInternal, "deleting %s: %v", src, err)
	}
	return src, nil
}

// decryptStep decrypts a PGP file with the server's key for the user (pgp.go) into its
// destination, on S3 or EFS.
func (d *dataPlane) decryptStep(a *Emulator, x *executionState, dec DecryptStepDetails, previous fileRef) (fileRef, *ExecutionError) {
	src, serr := x.source(dec.SourceFileLocation, previous)
	if serr != nil {
		return fileRef{}, serr
	}
	dst, serr := x.destination(dec.DestinationFileLocation, src)
	if serr != nil {
		return fileRef{}, serr
	}
	if serr := d.existing(src); serr != nil {
		return fileRef{}, serr
	}
	if serr := d.mayWrite(dst, dec.OverwriteExisting); serr != nil {
		return fileRef{}, serr
	}
	keys, serr := a.pgpKeyFor(x.region, x.serverID, x.userName)
	if serr != nil {
		return fileRef{}, serr
	}
	store := d.storeOf(src.domain)
	info, err := store.stat(src.root, src.key)
	if err != nil {
		return fileRef{}, stepError(errTypeInternal, "%s: %v", src, err)
	}
	r, err := store.open(src.root, src.key)
	if err != nil {
		return fileRef{}, stepError(errTypeInternal, "reading %s: %v", src, err)
	}
	if c, ok := r.(io.Closer); ok {
		defer c.Close()
	}
	plain, err := decryptPGP(io.NewSectionReader(r, 0, info.Size()), keys)
	if err != nil {
		return fileRef{}, stepError(errTypeBadRequest, "decrypting %s: %v", src, err)
	}
	if err := d.write(dst, plain, x.rec.PosixProfile); err != nil {
		return fileRef{}, stepError(errTypeInternal, "writing %s: %v", dst, err)
	}
	return dst, nil
}

// write stores a whole file, owned by owner on EFS.
func (d *dataPlane) write(f fileRef, data []byte, owner *PosixProfile) error {
	w, err := d.storeOf(f.domain).create(f.root, f.key, owner)
	if err != nil {
		return err
	}
	_, err = w.WriteAt(data, 0)
	if c, ok := w.(io.Closer); ok {
		err = errors.Join(err, c.Close())
	}
	return err
}

// CustomStepEvent is what a CUSTOM step's Lambda function receives, and what the emulator POSTs
// to DataPlaneOptions.CustomStepEndpoint (user guide, "Example Lambda
// function for a custom workflow step"): the callback token, the execution and session, and the
// file.
type CustomStepEvent struct {
	Token           string `json:"token"`
	ServiceMetadata struct {
		ExecutionDetails struct {
			WorkflowID  string `json:"workflowId"`
			ExecutionID string `json:"executionId"`
		} `json:"executionDetails"`
		TransferDetails struct {
			SessionID string `json:"sessionId"`
			UserName  string `json:"userName"`
			ServerID  string `json:"serverId"`
		} `json:"transferDetails"`
	} `json:"serviceMetadata"`
	FileLocation CustomStepFile `json:"fileLocation"`
}

// CustomStepFile is the file of a CustomStepEvent: bucket and key on S3, file system and path
// on EFS.
type CustomStepFile struct {
	Domain       string `json:"domain"`
	Bucket       string `json:"bucket,omitempty"`
	Key          string `json:"key,omitempty"`
	ETag         string `json:"eTag,omitempty"`
	FileSystemID string `json:"fileSystemId,omitempty"`
	Path         string `json:"path,omitempty"`
}

// customStep POSTs the step's event as JSON to DataPlaneOptions.CustomStepEndpoint, in place of
// invoking the Lambda function of its Target (sent in the X-Transfer-Emulator-Target header),
// and waits up to TimeoutSeconds for SendWorkflowStepState (user guide, "Use custom
// file-processing steps": "If the Lambda function is part of the nominal step and the function
// responds to SendWorkflowStepState with Status="FAILURE" or times out, the flow continues with
// the exception handler steps"). An endpoint that cannot be reached or answers an HTTP error
// fails the step, as a failing Lambda invocation does. The output is the step's input file.
func (d *dataPlane) customStep(a *Emulator, x *executionState, c CustomStepDetails, previous fileRef) (fileRef, *ExecutionError) {
	src, serr := x.source(c.SourceFileLocation, previous)
	if serr != nil {
		return fileRef{}, serr
	}
	if d.customEndpoint == "" {
		return fileRef{}, stepError(errTypeInternal, "no custom step endpoint to invoke %s (transfer-emulator --custom-step-endpoint, DataPlaneOptions.CustomStepEndpoint)", c.Target)
	}
	timeout := maxCustomStepTimeout
	if c.TimeoutSeconds != nil {
		timeout = time.Duration(*c.TimeoutSeconds) * time.Second
	}
	token, status := a.awaitCallback(x)
	defer a.stopWaiting(x)

	var ev CustomStepEvent
	ev.Token = token
	ev.ServiceMetadata.ExecutionDetails.WorkflowID = x.rec.WorkflowID
	ev.ServiceMetadata.ExecutionDetails.ExecutionID = x.rec.ExecutionID
	ev.ServiceMetadata.TransferDetails.SessionID = x.sessionID
	ev.ServiceMetadata.TransferDetails.UserName = x.userName
	ev.ServiceMetadata.TransferDetails.ServerID = x.serverID
	ev.FileLocation = CustomStepFile{Domain: src.domain, Bucket: src.root, Key: src.key, ETag: d.s3.etag(src.root, src.key)}
	if src.domain == domainEFS {
		ev.FileLocation = CustomStepFile{Domain: src.domain, FileSystemID: src.root, Path: "/" + src.key}
	}
	body, _ := json.Marshal(ev)

	timer := newTimer(d.e.clock, timeout)
	defer timer.Stop()
	ctx, cancel := context.WithTimeout(d.stop, timeout)
	defer cancel()
	if err := postEvent(ctx, d.customEndpoint, c.Target, body); err != nil {
		return fileRef{}, stepError(errTypeInternal, "invoking %s: %v", c.Target, err)
	}
	select {
	case s := <-status:
		if s != "SUCCESS" {
			return fileRef{}, stepError(errTypeCustomStepFailed, "the custom step %s reported %s", c.Target, s)
		}
		return src, nil
	case <-timer.C():
		return fileRef{}, stepError(errTypeTimeout, "no SendWorkflowStepState for the custom step %s within %s", c.Target, timeout)
	case <-d.stop.Done():
		return fileRef{}, stepError(errTypeInternal, "the emulator stopped")
	}
}

// newTimer returns a timer of the emulator's clock when it has timers (a FakeClock does), and
// of the system clock otherwise.
func newTimer(c clock.PassiveClock, d time.Duration) clock.Timer {
	if withTimers, ok := c.(clock.Clock); ok {
		return withTimers.NewTimer(d)
	}
	return clock.RealClock{}.NewTimer(d)
}

// postEvent POSTs a custom step's event; any answer but 2xx is a failed invocation.
func postEvent(ctx context.Context, endpoint, target string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(customTargetHeader, target)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the endpoint answered %s", resp.Status)
	}
	return nil
}
