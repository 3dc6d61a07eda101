package emulator

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
)

// XML answers of the STS query protocol, with the element names of the STS SDK's deserializers.

type stsCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type assumedRoleUser struct {
	Arn           string `xml:"Arn"`
	AssumedRoleID string `xml:"AssumedRoleId"`
}

type assumeRoleResult struct {
	XMLName         xml.Name
	Credentials     stsCredentials  `xml:"Credentials"`
	AssumedRoleUser assumedRoleUser `xml:"AssumedRoleUser"`
}

type assumeRoleWithWebIdentityResult struct {
	XMLName                     xml.Name
	Credentials                 stsCredentials  `xml:"Credentials"`
	SubjectFromWebIdentityToken string          `xml:"SubjectFromWebIdentityToken"`
	AssumedRoleUser             assumedRoleUser `xml:"AssumedRoleUser"`
	Provider                    string          `xml:"Provider"`
	Audience                    string          `xml:"Audience"`
}

type getCallerIdentityResult struct {
	XMLName xml.Name
	Arn     string `xml:"Arn"`
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
}

type stsErrorResponse struct {
	XMLName   xml.Name      `xml:"ErrorResponse"`
	Xmlns     string        `xml:"xmlns,attr"`
	Error     stsErrorValue `xml:"Error"`
	RequestID string        `xml:"RequestId"`
}

type stsErrorValue struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// writeSTSXML writes an STS answer: <ActionResponse> holding the result element and the
// request ID in <ResponseMetadata>.
func writeSTSXML(w http.ResponseWriter, action string, result any, reqID string) {
	body, err := xml.Marshal(result)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = fmt.Fprintf(w, `%s<%sResponse xmlns="%s">%s<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`,
		xml.Header, action, stsXMLNamespace, body, reqID, action)
}

// answerSTSError answers an STS call made in account ("" when its credentials were refused)
// with aerr; Type is Sender for 4xx answers and Receiver for the others.
func (e *Emulator) answerSTSError(w http.ResponseWriter, reqID, account, action string, aerr *apiError) {
	e.calls.record(account, action, aerr.Code)
	kind := "Sender"
	if aerr.Status >= http.StatusInternalServerError {
		kind = "Receiver"
	}
	body, _ := xml.Marshal(stsErrorResponse{Xmlns: stsXMLNamespace, Error: stsErrorValue{Type: kind, Code: aerr.Code, Message: aerr.Message}, RequestID: reqID})
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(aerr.Status)
	_, _ = io.WriteString(w, xml.Header+string(body))
}
