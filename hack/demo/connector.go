package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/pem"
	"slices"

	"golang.org/x/crypto/ssh"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

const (
	// sampleConnector is the connector sample, to sampleHost, a placeholder that does not
	// resolve; sampleCredentials is the Secret of its credentials, with the user name sampleUser
	// (config/samples).
	sampleConnector   = "partner-acme"
	sampleCredentials = "partner-acme-sftp"
	sampleUser        = "acme-upload"
	sampleHost        = "sftp.acme.example"
)

// createCredentialsSecret creates the connector sample's credentials Secret with a new ECDSA key,
// a kind AWS's SFTP connectors take.
func (d *demo) createCredentialsSecret(ctx context.Context) error {
	d.say("  the credentials Secret of %s (a new ECDSA key):", sampleConnector)
	key, err := newClientKey()
	if err != nil {
		return err
	}
	return d.createKeySecret(ctx, sampleCredentials, "privateKey", key, "username="+sampleUser)
}

// saySampleConnection says why the connector sample in objs is Ready but not Connected.
func (d *demo) saySampleConnection(objs []object) {
	i := slices.IndexFunc(objs, func(o object) bool { return o.kind == "TransferConnector" && o.name == sampleConnector })
	if i < 0 {
		return
	}
	if c := objs[i].current(v1alpha1.ConditionConnected); c != nil && c.Status != metav1.ConditionTrue {
		d.say("  %s is Ready, not Connected (%s): its partner, %s, is a placeholder", sampleConnector, c.Reason, sampleHost)
	}
}

// newClientKey returns a new ECDSA P-256 private key in OpenSSH format.
func newClientKey() ([]byte, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(block), nil
}
