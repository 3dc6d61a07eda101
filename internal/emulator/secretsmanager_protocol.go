package emulator

import (
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Secrets Manager's wire protocol: awsJson1_1, POST / with X-Amz-Target "secretsmanager.<Action>",
// on the main listener beside Transfer, EC2, STS and S3. A request is Secrets Manager's when its
// SigV4 credential scope names the service secretsmanager or, unsigned, when its target does.
// Errors are JSON documents with __type and Message, as Transfer's. Calls are counted, and faults
// injected, under the name "secretsmanager.<Action>" (TagResource and UntagResource are also
// Transfer operations).

const (
	// secretsManagerSigningName is the service a Secrets Manager request's credential scope names.
	secretsManagerSigningName = "secretsmanager"
	// secretsManagerTargetPrefix prefixes the X-Amz-Target of its operations.
	secretsManagerTargetPrefix = "secretsmanager."
)

// secretsManagerOperations are the implemented Secrets Manager actions by X-Amz-Target.
var secretsManagerOperations = map[string]operation{
	"secretsmanager.CreateSecret":   {true, handler((*Emulator).createSecret)},
	"secretsmanager.DescribeSecret": {false, handler((*Emulator).describeSecret)},
	"secretsmanager.GetSecretValue": {false, handler((*Emulator).getSecretValue)},
	"secretsmanager.PutSecretValue": {true, handler((*Emulator).putSecretValue)},
	"secretsmanager.UpdateSecret":   {true, handler((*Emulator).updateSecret)},
	"secretsmanager.DeleteSecret":   {true, handler((*Emulator).deleteSecret)},
	"secretsmanager.RestoreSecret":  {true, handler((*Emulator).restoreSecret)},
	"secretsmanager.ListSecrets":    {false, handler((*Emulator).listSecrets)},
	"secretsmanager.TagResource":    {true, handler((*Emulator).tagSecret)},
	"secretsmanager.UntagResource":  {true, handler((*Emulator).untagSecret)},
}

// isSecretsManagerRequest reports whether r is addressed to Secrets Manager.
func isSecretsManagerRequest(r *http.Request) bool {
	if a, ok := parseSigV4(r.Header.Get("Authorization")); ok {
		return a.service == secretsManagerSigningName
	}
	return strings.HasPrefix(r.Header.Get("X-Amz-Target"), secretsManagerTargetPrefix)
}

// serveSecretsManager answers one Secrets Manager request in the account of its signing
// credentials and the region of its credential scope, with the fault injection and call records
// of the Transfer operations.
func (e *Emulator) serveSecretsManager(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-amzn-RequestId", e.requestID())
	target := r.Header.Get("X-Amz-Target")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		e.answerError(w, "", target, errSerialization("cannot read request body: "+err.Error()))
		return
	}
	caller, aerr := e.authenticate(r, body, secretsManagerSigningName)
	if aerr != nil {
		e.answerError(w, "", target, aerr)
		return
	}
	op, ok := secretsManagerOperations[target]
	if !ok || r.Method != http.MethodPost {
		e.answerError(w, caller.account, target, errUnknownOperation(fmt.Sprintf("the emulator does not serve the Secrets Manager operation %q", target)))
		return
	}
	out, ok := e.runFaulted(w, r, caller.account, target, transferDialect(e), func() (any, error) {
		return op.run(e.account(caller.account), requestRegion(r), body)
	})
	if !ok {
		return
	}
	if out == nil {
		out = struct{}{}
	}
	writeJSON(w, http.StatusOK, out)
}
