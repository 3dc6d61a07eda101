package transfer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// SecretsAPI is the part of the AWS Secrets Manager client the operator uses: the secrets of
// connectors' credentials it keeps for TransferConnectors.
type SecretsAPI interface {
	CreateSecret(ctx context.Context, in *secretsmanager.CreateSecretInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.CreateSecretOutput, error)
	DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	PutSecretValue(ctx context.Context, in *secretsmanager.PutSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
	DeleteSecret(ctx context.Context, in *secretsmanager.DeleteSecretInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.DeleteSecretOutput, error)
}

var _ SecretsAPI = (*secretsmanager.Client)(nil)

// ConnectorCredentials are an SFTP user's credentials as a connector reads them from its secret:
// a JSON object with Username and a PrivateKey, a Password, or both (AWS Transfer Family user
// guide, "Store SFTP connector credentials in a secret").
type ConnectorCredentials struct {
	Username   string
	PrivateKey Sensitive
	Password   Sensitive
}

// secretString is the secret's value. It holds the credentials: never log it.
func (c ConnectorCredentials) secretString() string {
	v := struct {
		Username   string `json:"Username"`
		PrivateKey string `json:"PrivateKey,omitempty"`
		Password   string `json:"Password,omitempty"`
	}{c.Username, string(c.PrivateKey), string(c.Password)}
	out, _ := json.Marshal(v)
	return string(out)
}

// ErrSecretOwnedByAnother says that a secret of the name the operator would give one already
// exists and carries another owner's tags, or none.
var ErrSecretOwnedByAnother = errors.New("the secret exists and was not made for this object")

// PutOwnedSecret stores creds in the secret the operator keeps for an object, whose UID the
// tag TagOwnerUID of owner carries, and returns its ARN. recorded is the ARN recorded for it, ""
// before one was: the secret is created under name, or, when one of that name exists already
// with this owner's tag (made by a create whose response was lost), written to. A recorded
// secret deleted outside the operator is created again.
func (s *Service) PutOwnedSecret(ctx context.Context, recorded, name string, creds ConnectorCredentials, owner map[string]string) (string, error) {
	if recorded != "" {
		err := s.putSecretValue(ctx, recorded, creds)
		if !IsNotFound(err) {
			return recorded, err
		}
	}
	out, err := s.secrets.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:         aws.String(name),
		Description:  aws.String("SFTP connector credentials kept by transfer-operator for " + owner[TagOwner]),
		SecretString: aws.String(creds.secretString()),
		Tags:         secretTags(owner),
	})
	if err == nil {
		return aws.ToString(out.ARN), nil
	}
	if !IsAlreadyExists(err) {
		return "", fmt.Errorf("creating secret %s: %w", name, err)
	}
	arn, err := s.ownedSecret(ctx, name, owner[TagOwnerUID])
	if err != nil {
		return "", err
	}
	return arn, s.putSecretValue(ctx, arn, creds)
}

// DeleteOwnedSecret deletes, without a recovery window, the secret name if it carries the tag
// of ownerUID: its value is a copy of a Kubernetes Secret. A secret that does not exist counts
// as deleted; one of another owner is left alone (ErrSecretOwnedByAnother).
func (s *Service) DeleteOwnedSecret(ctx context.Context, name, ownerUID string) error {
	arn, err := s.ownedSecret(ctx, name, ownerUID)
	if IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = s.secrets.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(arn), ForceDeleteWithoutRecovery: aws.Bool(true)})
	if err != nil && !IsNotFound(err) {
		return fmt.Errorf("deleting secret %s: %w", name, err)
	}
	return nil
}

// ownedSecret returns the ARN of the secret name, which must carry the tag of ownerUID.
func (s *Service) ownedSecret(ctx context.Context, name, ownerUID string) (string, error) {
	out, err := s.secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("describing secret %s: %w", name, err)
	}
	for _, t := range out.Tags {
		if aws.ToString(t.Key) == TagOwnerUID && aws.ToString(t.Value) == ownerUID {
			return aws.ToString(out.ARN), nil
		}
	}
	return "", fmt.Errorf("secret %s: %w", name, ErrSecretOwnedByAnother)
}

func (s *Service) putSecretValue(ctx context.Context, arn string, creds ConnectorCredentials) error {
	_, err := s.secrets.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(arn), SecretString: aws.String(creds.secretString())})
	if err != nil {
		return fmt.Errorf("writing secret %s: %w", arn, err)
	}
	return nil
}

func secretTags(m map[string]string) []smtypes.Tag {
	var out []smtypes.Tag
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, smtypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}
