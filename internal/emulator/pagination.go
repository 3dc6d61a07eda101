package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
)

// defaultMaxResults is the page size when a request gives no MaxResults:
// the largest the model allows (MaxResults shape, max 1000).
const defaultMaxResults = 1000

// pageToken is the content of a NextToken: the operation and listing it
// continues, and the position after which the next page starts.
type pageToken struct {
	Op    string `json:"o"`
	Scope string `json:"s"`
	After string `json:"a"`
}

// encodeToken returns an opaque NextToken: the token's JSON and an HMAC of
// it under the emulator's key, so tokens cannot be forged or moved to
// another listing.
func (e *Emulator) encodeToken(t pageToken) string {
	payload, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(e.tokenMAC(payload))
}

// decodeToken returns the position a NextToken continues from for listing
// scope of op; a token that was not issued by this emulator for that listing
// is an InvalidNextTokenException.
func (e *Emulator) decodeToken(token *string, op, scope string) (string, error) {
	if token == nil {
		return "", nil
	}
	p, m, ok := strings.Cut(*token, ".")
	if !ok {
		return "", errInvalidNextToken()
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p)
	mac, err2 := base64.RawURLEncoding.DecodeString(m)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, e.tokenMAC(payload)) {
		return "", errInvalidNextToken()
	}
	var t pageToken
	if err := json.Unmarshal(payload, &t); err != nil || t.Op != op || t.Scope != scope {
		return "", errInvalidNextToken()
	}
	return t.After, nil
}

func (e *Emulator) tokenMAC(payload []byte) []byte {
	h := hmac.New(sha256.New, e.tokenKey)
	h.Write(payload)
	return h.Sum(nil)[:16]
}

// pageSize returns the MaxResults of a list request, or the default.
func pageSize(in listInput) int {
	if in.MaxResults == nil {
		return defaultMaxResults
	}
	return *in.MaxResults
}

// list answers one page of the listing of a family's records in a scope: those after the
// position in NextToken, at most MaxResults of them (validated against the model before), each
// as render makes it, and the NextToken of the page that follows ("" on the last). The token,
// bound to op and listing (the region, server or workflow listed), is checked before anything
// else, as AWS does; then the scope is found, and render runs, under e.mu, so that the scope's
// error is the answer.
func list[R record, Out any](e *Emulator, in listInput, op, listing string, sc scope[R], render func(*R) Out) ([]Out, string, error) {
	after, err := e.decodeToken(in.NextToken, op, listing)
	if err != nil {
		return nil, "", err
	}
	size := pageSize(in)
	e.mu.Lock()
	defer e.mu.Unlock()
	recs, err := sc()
	if err != nil {
		return nil, "", err
	}
	keys := recs.order.After(after, size+1)
	next := ""
	if len(keys) > size {
		keys = keys[:size]
		next = e.encodeToken(pageToken{Op: op, Scope: listing, After: keys[len(keys)-1]})
	}
	out := make([]Out, 0, len(keys))
	for _, key := range keys {
		out = append(out, render(recs.byKey[key]))
	}
	return out, next, nil
}
