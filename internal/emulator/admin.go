package emulator

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// newAdminHandler serves the Go control API as JSON under AdminPrefix, for
// tests that run the emulator as a separate process, to the requests
// adminRefusal lets through. docs/emulator.md lists the endpoints.
func newAdminHandler(e *Emulator) http.Handler {
	mux := adminMux(e)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status, err := e.adminRefusal(w, r); err != nil {
			adminError(w, status, err)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// adminRefusal returns the status and error refusing an admin request that
// a local test could not have made: one addressed to a Host other than
// localhost or a loopback address (a web page's request after DNS
// rebinding), a write (any method but GET and HEAD) that is not
// application/json (a form or text/plain POST any web page may send), and,
// with Options.StrictSigV4, one not signed with those credentials
// (SignAdminRequest).
func (e *Emulator) adminRefusal(w http.ResponseWriter, r *http.Request) (int, error) {
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = strings.Trim(r.Host, "[]")
	}
	if ip := net.ParseIP(host); !strings.EqualFold(host, "localhost") && (ip == nil || !ip.IsLoopback()) {
		return http.StatusForbidden, fmt.Errorf("the admin API answers requests addressed to localhost or a loopback address, not to Host %q", r.Host)
	}
	if e.strict != nil {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
		if err != nil {
			return http.StatusBadRequest, err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if aerr := verifySigV4(r, body, *e.strict, transferSigningName, e.clock.Now()); aerr != nil {
			return http.StatusForbidden, fmt.Errorf("with strict SigV4 the admin API answers requests signed with its access key for the service %q: %s: %s", transferSigningName, aerr.Code, aerr.Message)
		}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mediaType != "application/json" {
			return http.StatusUnsupportedMediaType, fmt.Errorf("admin writes take Content-Type application/json, not %q", r.Header.Get("Content-Type"))
		}
	}
	return 0, nil
}

// SignAdminRequest signs an admin request whose body is body (nil for none)
// with creds, as an emulator with Options.StrictSigV4 (--sigv4-access-key,
// --sigv4-secret-key) requires: SigV4 for the service "transfer" in
// us-east-1 at the current time.
func SignAdminRequest(r *http.Request, body []byte, creds Credentials) error {
	sum := sha256.Sum256(body)
	return v4.NewSigner().SignHTTP(r.Context(), aws.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey},
		r, hex.EncodeToString(sum[:]), transferSigningName, defaultRegion, time.Now())
}

// adminMux routes the admin endpoints.
func adminMux(e *Emulator) *http.ServeMux {
	mux := http.NewServeMux()
	const p = "/_emulator"
	mux.HandleFunc("GET "+p+"/calls", func(w http.ResponseWriter, r *http.Request) {
		if account := r.URL.Query().Get("account"); account != "" {
			adminJSON(w, http.StatusOK, e.CallsIn(account))
			return
		}
		adminJSON(w, http.StatusOK, e.Calls())
	})
	mux.HandleFunc("DELETE "+p+"/calls", func(w http.ResponseWriter, _ *http.Request) {
		e.ResetCalls()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET "+p+"/snapshot", func(w http.ResponseWriter, r *http.Request) {
		if account := r.URL.Query().Get("account"); account != "" {
			adminJSON(w, http.StatusOK, e.SnapshotOf(account))
			return
		}
		adminJSON(w, http.StatusOK, e.Snapshot())
	})
	mux.HandleFunc("PUT "+p+"/roles", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ARN                string   `json:"arn"`
			TrustedAccounts    []string `json:"trustedAccounts"`
			ExternalID         string   `json:"externalId"`
			WebIdentity        bool     `json:"webIdentity"`
			MaxSessionDuration string   `json:"maxSessionDuration"`
		}
		if !decodeAdmin(w, r, &req) {
			return
		}
		role := Role{ARN: req.ARN, TrustedAccounts: req.TrustedAccounts, ExternalID: req.ExternalID, WebIdentity: req.WebIdentity}
		if req.MaxSessionDuration != "" {
			d, err := time.ParseDuration(req.MaxSessionDuration)
			if err != nil {
				adminError(w, http.StatusBadRequest, errors.New(`maxSessionDuration must be a Go duration such as "2h"`))
				return
			}
			role.MaxSessionDuration = d
		}
		adminResult(w, e.DefineRole(role))
	})
	mux.HandleFunc("DELETE "+p+"/roles", func(w http.ResponseWriter, r *http.Request) {
		arn := r.URL.Query().Get("arn")
		if arn == "" {
			adminError(w, http.StatusBadRequest, errors.New("the arn query parameter names the role to delete"))
			return
		}
		e.DeleteRole(arn)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST "+p+"/expire-credentials", func(w http.ResponseWriter, _ *http.Request) {
		e.ExpireCredentials()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET "+p+"/dataplane", func(w http.ResponseWriter, _ *http.Request) {
		if e.dp == nil {
			adminError(w, http.StatusNotFound, errors.New("the data plane is off (transfer-emulator --data-plane, Options.DataPlane)"))
			return
		}
		adminJSON(w, http.StatusOK, e.dp.info())
	})
	mux.HandleFunc("GET "+p+"/executions", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("region") == "" || q.Get("workflowId") == "" {
			adminError(w, http.StatusBadRequest, errors.New("the region and workflowId query parameters name the workflow"))
			return
		}
		a := e
		if account := q.Get("account"); account != "" {
			a = e.existingAccount(account)
		}
		if a == nil {
			adminJSON(w, http.StatusOK, []Execution{})
			return
		}
		adminJSON(w, http.StatusOK, a.Executions(q.Get("region"), q.Get("workflowId")))
	})
	mux.HandleFunc("PUT "+p+"/pgp-keys", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Account    string `json:"account"`
			Region     string `json:"region"`
			ServerID   string `json:"serverId"`
			UserName   string `json:"userName"`
			PrivateKey string `json:"privateKey"`
			Passphrase string `json:"passphrase"`
		}
		if !decodeAdmin(w, r, &req) {
			return
		}
		a := e
		if req.Account != "" {
			a = e.account(req.Account)
		}
		adminResult(w, a.SetPGPKey(req.Region, req.ServerID, req.UserName, PGPKey{PrivateKey: req.PrivateKey, Passphrase: req.Passphrase}))
	})
	mux.HandleFunc("PUT "+p+"/latency", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Latency string `json:"latency"`
		}
		if !decodeAdmin(w, r, &req) {
			return
		}
		d, err := time.ParseDuration(req.Latency)
		if err != nil || d < 0 {
			adminError(w, http.StatusBadRequest, errors.New(`latency must be a non-negative Go duration such as "250ms"`))
			return
		}
		e.SetLatency(d)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("PUT "+p+"/rate-limit", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			RPS   float64 `json:"rps"`
			Burst int     `json:"burst"`
		}
		if !decodeAdmin(w, r, &req) {
			return
		}
		e.SetRateLimit(req.RPS, req.Burst)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("PUT "+p+"/fault-rate", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Rate float64 `json:"rate"`
		}
		if decodeAdmin(w, r, &req) {
			adminResult(w, e.SetFaultRate(req.Rate))
		}
	})
	mux.HandleFunc("PUT "+p+"/commit-then-fail", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Operation string  `json:"operation"`
			Rate      float64 `json:"rate"`
		}
		if decodeAdmin(w, r, &req) {
			adminResult(w, e.SetCommitThenFail(req.Operation, req.Rate))
		}
	})
	mux.HandleFunc("POST "+p+"/fail-next", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Operation string    `json:"operation"`
			Count     int       `json:"count"`
			Kind      ErrorKind `json:"kind"`
		}
		if decodeAdmin(w, r, &req) {
			adminResult(w, e.FailNext(req.Operation, req.Count, req.Kind))
		}
	})
	mux.HandleFunc("DELETE "+p+"/faults", func(w http.ResponseWriter, _ *http.Request) {
		e.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	const server = p + "/regions/{region}/servers/{serverId}"
	mux.HandleFunc("PATCH "+server, func(w http.ResponseWriter, r *http.Request) {
		patch, ok := readPatch[ServerRecord](w, r)
		if ok {
			adminResult(w, e.ModifyServer(r.PathValue("region"), r.PathValue("serverId"), func(rec *ServerRecord) {
				_ = json.Unmarshal(patch, rec)
			}))
		}
	})
	mux.HandleFunc("DELETE "+server, func(w http.ResponseWriter, r *http.Request) {
		adminResult(w, e.DeleteServerOutOfBand(r.PathValue("region"), r.PathValue("serverId")))
	})
	mux.HandleFunc("POST "+server+"/fail-next-transition", func(w http.ResponseWriter, r *http.Request) {
		adminResult(w, e.FailNextTransition(r.PathValue("region"), r.PathValue("serverId")))
	})
	mux.HandleFunc("POST "+p+"/regions/{region}/connectors/{connectorId}/fail-next-transition", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ErrorMessage string `json:"errorMessage"`
		}
		if decodeAdmin(w, r, &req) {
			adminResult(w, e.FailNextConnectorTransition(r.PathValue("region"), r.PathValue("connectorId"), req.ErrorMessage))
		}
	})
	const user = server + "/users/{userName}"
	mux.HandleFunc("PATCH "+user, func(w http.ResponseWriter, r *http.Request) {
		patch, ok := readPatch[UserRecord](w, r)
		if ok {
			adminResult(w, e.ModifyUser(r.PathValue("region"), r.PathValue("serverId"), r.PathValue("userName"), func(rec *UserRecord) {
				_ = json.Unmarshal(patch, rec)
			}))
		}
	})
	mux.HandleFunc("DELETE "+user, func(w http.ResponseWriter, r *http.Request) {
		adminResult(w, e.DeleteUserOutOfBand(r.PathValue("region"), r.PathValue("serverId"), r.PathValue("userName")))
	})
	return mux
}

// decodeAdmin decodes a JSON request body into v, rejecting unknown fields;
// on failure it answers 400 and returns false.
func decodeAdmin(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		adminError(w, http.StatusBadRequest, err)
		return false
	}
	return true
}

// readPatch reads a JSON object of record fields to overwrite and checks
// that it decodes onto a T; on failure it answers 400 and returns false.
func readPatch[T any](w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	if err != nil {
		adminError(w, http.StatusBadRequest, err)
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(new(T)); err != nil {
		adminError(w, http.StatusBadRequest, err)
		return nil, false
	}
	return body, true
}

// adminResult answers 204 for a nil error, 404 for a missing resource and
// 400 otherwise.
func adminResult(w http.ResponseWriter, err error) {
	var aerr *apiError
	switch {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.As(err, &aerr) && aerr.Code == CodeResourceNotFound:
		adminError(w, http.StatusNotFound, err)
	default:
		adminError(w, http.StatusBadRequest, err)
	}
}

func adminError(w http.ResponseWriter, status int, err error) {
	adminJSON(w, status, map[string]string{"error": err.Error()})
}

func adminJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
