package emulator

import (
	"bytes"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The Secrets Manager subset the SFTP connectors need (a connector's credentials are a secret,
// SDK SftpConnectorConfig.UserSecretId): CreateSecret, DescribeSecret, GetSecretValue,
// PutSecretValue, UpdateSecret, DeleteSecret, RestoreSecret, ListSecrets, TagResource and
// UntagResource, following the doc comments of github.com/aws/aws-sdk-go-v2/service/secretsmanager.
// Secrets belong to an account and a region, as Transfer's resources do. The protocol is in
// secretsmanager_protocol.go. Secret values are never logged, never in an error message and never
// in a Snapshot.

const (
	// stageCurrent and stagePrevious are the staging labels Secrets Manager moves itself (SDK
	// PutSecretValueInput.VersionStages: "If you don't include VersionStages, then Secrets
	// Manager automatically moves the staging label AWSCURRENT to this version").
	stageCurrent  = "AWSCURRENT"
	stagePrevious = "AWSPREVIOUS"
	// defaultRecoveryDays, minRecoveryDays, maxRecoveryDays: SDK DeleteSecret: "The minimum
	// recovery window is 7 days. The default recovery window is 30 days"; RecoveryWindowInDays
	// "The number of days from 7 to 30".
	defaultRecoveryDays = 30
	minRecoveryDays     = 7
	maxRecoveryDays     = 30
	// Bounds of the Secrets Manager API reference (CreateSecret: Name 1 to 512, Description up to
	// 2048, SecretString and SecretBinary up to 65536; ListSecrets MaxResults 1 to 100).
	maxSecretNameLength   = 512
	maxSecretDescription  = 2048
	maxSecretValueBytes   = 65536
	maxListSecretsResults = 100
)

// secretNameRE: SDK CreateSecretInput.Name: "The secret name can contain ASCII letters,
// numbers, and the following characters: /_+=.@-".
var secretNameRE = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]+$`)

// SecretRecord is what the emulator stores about a secret, without its values, which only
// GetSecretValue returns.
type SecretRecord struct {
	ARN             string
	Name            string
	Description     string `json:",omitempty"`
	KmsKeyID        string `json:"KmsKeyId,omitempty"`
	Tags            []Tag  `json:",omitempty"`
	CreatedDate     time.Time
	LastChangedDate time.Time
	// DeletedDate is when DeleteSecret scheduled the secret's deletion, zero when it is not
	// scheduled; DeletionDate is when it is deleted for good.
	DeletedDate  time.Time `json:",omitzero"`
	DeletionDate time.Time `json:",omitzero"`
	// VersionIdsToStages are the staging labels of each version that has one.
	VersionIdsToStages map[string][]string

	lastAccessed time.Time
	// versions are the secret's values by VersionId; a version without a label is dropped.
	versions map[string]secretValue
}

// secretValue is one version of a secret.
type secretValue struct {
	str     *string
	bin     []byte
	created time.Time
}

func (v secretValue) same(str *string, bin []byte) bool {
	return (v.str == nil) == (str == nil) && (str == nil || *v.str == *str) && bytes.Equal(v.bin, bin)
}

func (SecretRecord) family() family {
	return family{resourceType: "Secret", unknown: msgSecretNotFound}
}

func (s SecretRecord) clone() SecretRecord {
	c := s
	c.Tags = slices.Clone(s.Tags)
	c.VersionIdsToStages = map[string][]string{}
	for id, stages := range s.VersionIdsToStages {
		c.VersionIdsToStages[id] = slices.Clone(stages)
	}
	c.versions = maps.Clone(s.versions)
	return c
}

// scheduled reports whether DeleteSecret scheduled the secret's deletion.
func (s *SecretRecord) scheduled() bool { return !s.DeletedDate.IsZero() }

// Messages of Secrets Manager's errors, as the service answers them.
const (
	msgSecretNotFound  = "Secrets Manager can't find the specified secret."
	msgSecretScheduled = "You can't perform this operation on the secret because it was marked for deletion."
)

func errSecretNotFound() *apiError {
	return &apiError{Code: CodeResourceNotFound, Status: http.StatusBadRequest, Message: msgSecretNotFound}
}

// errSecretParameter is Secrets Manager's InvalidParameterException: "The parameter name or value
// is invalid."
func errSecretParameter(format string, args ...any) *apiError {
	return &apiError{Code: "InvalidParameterException", Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

// errSecretValidation is the AWS JSON front end's ValidationException for member constraints.
func errSecretValidation(c constraints) *apiError {
	if len(c) == 0 {
		return nil
	}
	noun := "error"
	if len(c) > 1 {
		noun = "errors"
	}
	return &apiError{Code: "ValidationException", Status: http.StatusBadRequest,
		Message: fmt.Sprintf("%d validation %s detected: %s", len(c), noun, strings.Join(c, "; "))}
}

// secretsIn is the secrets of a region, by name.
func (e *Emulator) secretsIn(regionName string) *records[SecretRecord] {
	return &e.regionLocked(regionName).secrets
}

// secretLocked finds the secret a SecretId names in regionName (SDK: "The ARN or name of the
// secret"; a partial ARN, without the six random characters, names it too), after deleting for
// good the secrets whose recovery window has ended; e.mu must be held.
func (e *Emulator) secretLocked(regionName, id string) (*SecretRecord, error) {
	secrets := e.liveSecretsLocked(regionName)
	if s, ok := secrets.lookup(id); ok {
		return s, nil
	}
	for _, s := range secrets.all() {
		if s.ARN == id || s.ARN[:len(s.ARN)-7] == id {
			return s, nil
		}
	}
	return nil, errSecretNotFound()
}

// liveSecretsLocked returns the secrets of a region after deleting for good those whose recovery
// window has ended (SDK DeleteSecret: "At the end of the recovery window, Secrets Manager deletes
// the secret permanently"); e.mu must be held.
func (e *Emulator) liveSecretsLocked(regionName string) *records[SecretRecord] {
	secrets := e.secretsIn(regionName)
	now := e.clock.Now()
	for _, s := range secrets.all() {
		if s.scheduled() && !now.Before(s.DeletionDate) {
			_, _ = secrets.delete(s.Name)
		}
	}
	return secrets
}

// liveSecretLocked is secretLocked for the operations a secret scheduled for deletion refuses
// (SDK InvalidRequestException: "The secret is scheduled for deletion").
func (e *Emulator) liveSecretLocked(regionName, id string) (*SecretRecord, error) {
	s, err := e.secretLocked(regionName, id)
	if err == nil && s.scheduled() {
		return nil, errInvalidRequest(msgSecretScheduled)
	}
	return s, err
}

// checkSecretValue checks the value members of CreateSecret, PutSecretValue and UpdateSecret:
// "Either SecretString or SecretBinary must have a value, but not both", each at most 65536
// bytes; the values themselves are never quoted.
func checkSecretValue(str *string, bin []byte, c *constraints) *apiError {
	if str != nil && bin != nil {
		return errSecretParameter("You can't specify both a binary secret value and a string secret value in the same secret.")
	}
	if str != nil && len(*str) > maxSecretValueBytes {
		*c = append(*c, fmt.Sprintf("Value at 'secretString' failed to satisfy constraint: Member must have length less than or equal to %d", maxSecretValueBytes))
	}
	if len(bin) > maxSecretValueBytes {
		*c = append(*c, fmt.Sprintf("Value at 'secretBinary' failed to satisfy constraint: Member must have length less than or equal to %d", maxSecretValueBytes))
	}
	return nil
}

// putVersionLocked stores a new version of s with the given labels (AWSCURRENT when none),
// moving each label from the version that had it; the version that loses AWSCURRENT gets
// AWSPREVIOUS, and a version left without labels is dropped. A ClientRequestToken that names a
// version already stored is idempotent for the same value and refused for another (SDK
// PutSecretValueInput.ClientRequestToken). e.mu must be held.
func (e *Emulator) putVersionLocked(s *SecretRecord, token *string, str *string, bin []byte, stages []string) (string, error) {
	id := ""
	if token != nil {
		id = *token
	}
	if v, ok := s.versions[id]; ok {
		if !v.same(str, bin) {
			return "", errExists("", "", "You can't modify an existing version, you can only create new versions.")
		}
		return id, nil
	}
	if id == "" {
		id = e.uuidLocked()
	}
	if len(stages) == 0 {
		stages = []string{stageCurrent}
	}
	now := e.clock.Now()
	if s.versions == nil {
		s.versions, s.VersionIdsToStages = map[string]secretValue{}, map[string][]string{}
	}
	s.versions[id] = secretValue{str: str, bin: slices.Clone(bin), created: now}
	for _, stage := range stages {
		if old := s.versionWith(stage); old != "" {
			if stage == stageCurrent {
				if prev := s.versionWith(stagePrevious); prev != "" {
					s.unlabel(prev, stagePrevious)
				}
				s.VersionIdsToStages[old] = append(s.VersionIdsToStages[old], stagePrevious)
			}
			s.unlabel(old, stage)
		}
		s.VersionIdsToStages[id] = append(s.VersionIdsToStages[id], stage)
	}
	s.LastChangedDate = now
	return id, nil
}

// versionWith returns the version that has the label, or "".
func (s *SecretRecord) versionWith(stage string) string {
	for id, stages := range s.VersionIdsToStages {
		if slices.Contains(stages, stage) {
			return id
		}
	}
	return ""
}

// unlabel removes a label from a version, dropping the version when it has no label left.
func (s *SecretRecord) unlabel(id, stage string) {
	left := slices.DeleteFunc(s.VersionIdsToStages[id], func(l string) bool { return l == stage })
	if len(left) == 0 {
		delete(s.VersionIdsToStages, id)
		delete(s.versions, id)
		return
	}
	s.VersionIdsToStages[id] = left
}

// uuidLocked returns a random version 4 UUID from the emulator's ID source; e.mu must be held.
func (e *Emulator) uuidLocked() string {
	x, y := e.rng.Uint64(), e.rng.Uint64()
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", uint32(x>>32), uint16(x>>16), uint16(x)&0xfff,
		uint16(y>>48)&0x3fff|0x8000, y&0xffffffffffff)
}

// secretARN is the ARN of a new secret: SDK CreateSecretOutput.ARN: "The ARN includes the name
// of the secret followed by six random characters"; e.mu must be held.
func (e *Emulator) secretARN(regionName, name string) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	suffix := make([]byte, 6)
	for i := range suffix {
		suffix[i] = chars[e.rng.IntN(len(chars))]
	}
	return fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:%s-%s", partition(regionName), regionName, e.accountID, name, suffix)
}

type createSecretInput struct {
	Name               string
	ClientRequestToken *string
	Description        *string
	KmsKeyID           *string `json:"KmsKeyId"`
	SecretString       *string
	SecretBinary       []byte
	Tags               []Tag
}

type secretIDOutput struct {
	ARN       string
	Name      string
	VersionID string `json:"VersionId,omitempty"`
}

// createSecret creates a secret, with its first version when the request carries a value. A
// name in use is ResourceExistsException; one whose secret is scheduled for deletion is
// InvalidRequestException, as Secrets Manager answers.
func (e *Emulator) createSecret(regionName string, in *createSecretInput) (any, error) {
	var c constraints
	c.check(len(in.Name) >= 1, "name", &in.Name, "must have length greater than or equal to 1")
	c.check(len(in.Name) <= maxSecretNameLength, "name", &in.Name, fmt.Sprintf("must have length less than or equal to %d", maxSecretNameLength))
	c.check(in.Name == "" || secretNameRE.MatchString(in.Name), "name", &in.Name, "must satisfy regular expression pattern: "+secretNameRE.String())
	if in.Description != nil {
		c.check(len(*in.Description) <= maxSecretDescription, "description", in.Description, fmt.Sprintf("must have length less than or equal to %d", maxSecretDescription))
	}
	if aerr := checkSecretValue(in.SecretString, in.SecretBinary, &c); aerr != nil {
		return nil, aerr
	}
	if aerr := errSecretValidation(c); aerr != nil {
		return nil, aerr
	}
	tags, err := mergeTags(nil, in.Tags)
	if err != nil {
		return nil, errSecretParameter("%s", err.(*apiError).Message)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	secrets := e.liveSecretsLocked(regionName)
	if existing, ok := secrets.lookup(in.Name); ok {
		if existing.scheduled() {
			return nil, errInvalidRequest("You can't create this secret because a secret with this name is already scheduled for deletion.")
		}
		return nil, errExists("", "", fmt.Sprintf("The operation failed because the secret %s already exists.", in.Name))
	}
	now := e.clock.Now()
	s := &SecretRecord{ARN: e.secretARN(regionName, in.Name), Name: in.Name, Tags: tags, CreatedDate: now, LastChangedDate: now}
	setString(&s.Description, in.Description)
	setString(&s.KmsKeyID, in.KmsKeyID)
	out := secretIDOutput{ARN: s.ARN, Name: s.Name}
	if in.SecretString != nil || in.SecretBinary != nil {
		if out.VersionID, err = e.putVersionLocked(s, in.ClientRequestToken, in.SecretString, in.SecretBinary, nil); err != nil {
			return nil, err
		}
	}
	secrets.insert(s.Name, s)
	return out, nil
}

type secretIDInput struct {
	SecretID string `json:"SecretId"`
}

type describeSecretOutput struct {
	ARN                string
	Name               string
	Description        string              `json:",omitempty"`
	KmsKeyID           string              `json:"KmsKeyId,omitempty"`
	CreatedDate        epochSeconds        `json:"CreatedDate"`
	LastChangedDate    epochSeconds        `json:"LastChangedDate"`
	LastAccessedDate   *epochSeconds       `json:",omitempty"`
	DeletedDate        *epochSeconds       `json:",omitempty"`
	Tags               []Tag               `json:",omitempty"`
	VersionIdsToStages map[string][]string `json:",omitempty"`
}

// optionalTime is t as an awsJson timestamp, or nil for the zero time.
func optionalTime(t time.Time) *epochSeconds {
	if t.IsZero() {
		return nil
	}
	v := epochSeconds(t)
	return &v
}

// describeSecret answers a secret's metadata, also while it is scheduled for deletion (then with
// its DeletedDate).
func (e *Emulator) describeSecret(regionName string, in *secretIDInput) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.secretLocked(regionName, in.SecretID)
	if err != nil {
		return nil, err
	}
	c := s.clone()
	return describeSecretOutput{
		ARN: c.ARN, Name: c.Name, Description: c.Description, KmsKeyID: c.KmsKeyID,
		CreatedDate: epochSeconds(c.CreatedDate), LastChangedDate: epochSeconds(c.LastChangedDate),
		LastAccessedDate: optionalTime(c.lastAccessed), DeletedDate: optionalTime(c.DeletedDate),
		Tags: c.Tags, VersionIdsToStages: c.VersionIdsToStages,
	}, nil
}

type getSecretValueInput struct {
	SecretID     string  `json:"SecretId"`
	VersionID    *string `json:"VersionId"`
	VersionStage *string
}

type getSecretValueOutput struct {
	ARN           string
	Name          string
	VersionID     string  `json:"VersionId"`
	SecretString  *string `json:",omitempty"`
	SecretBinary  []byte  `json:",omitempty"`
	VersionStages []string
	CreatedDate   epochSeconds
}

// getSecretValue answers a version's value: VersionId, VersionStage (both must name the same
// version), or AWSCURRENT. SDK LastAccessedDate: "The date that the secret was last accessed in
// the Region. This field is omitted if the secret has never been retrieved in the Region";
// Secrets Manager rounds it to the day.
func (e *Emulator) getSecretValue(regionName string, in *getSecretValueInput) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.liveSecretLocked(regionName, in.SecretID)
	if err != nil {
		return nil, err
	}
	out, err := s.value(in.VersionID, in.VersionStage)
	if err != nil {
		return nil, err
	}
	s.lastAccessed = e.clock.Now().UTC().Truncate(24 * time.Hour)
	return out, nil
}

// value is the version of s that versionID and stage name.
func (s *SecretRecord) value(versionID, stage *string) (getSecretValueOutput, error) {
	id := ""
	switch {
	case versionID != nil:
		id = *versionID
		if stage != nil && !slices.Contains(s.VersionIdsToStages[id], *stage) {
			return getSecretValueOutput{}, errSecretParameter("The parameters VersionId and VersionStage must refer to the same secret version.")
		}
	case stage != nil:
		id = s.versionWith(*stage)
	default:
		id = s.versionWith(stageCurrent)
	}
	v, ok := s.versions[id]
	if !ok {
		what := "staging label: " + stageCurrent
		switch {
		case versionID != nil:
			what = "VersionId: " + *versionID
		case stage != nil:
			what = "staging label: " + *stage
		}
		return getSecretValueOutput{}, &apiError{Code: CodeResourceNotFound, Status: http.StatusBadRequest, Message: "Secrets Manager can't find the specified secret value for " + what}
	}
	return getSecretValueOutput{ARN: s.ARN, Name: s.Name, VersionID: id, SecretString: v.str, SecretBinary: slices.Clone(v.bin),
		VersionStages: slices.Clone(s.VersionIdsToStages[id]), CreatedDate: epochSeconds(v.created)}, nil
}

type putSecretValueInput struct {
	SecretID           string `json:"SecretId"`
	ClientRequestToken *string
	SecretString       *string
	SecretBinary       []byte
	VersionStages      []string
}

type putSecretValueOutput struct {
	ARN           string
	Name          string
	VersionID     string `json:"VersionId"`
	VersionStages []string
}

// putSecretValue stores a new version of a secret (see putVersionLocked). SDK: "You must include
// SecretBinary or SecretString, but not both."
func (e *Emulator) putSecretValue(regionName string, in *putSecretValueInput) (any, error) {
	var c constraints
	if aerr := checkSecretValue(in.SecretString, in.SecretBinary, &c); aerr != nil {
		return nil, aerr
	}
	if aerr := errSecretValidation(c); aerr != nil {
		return nil, aerr
	}
	if in.SecretString == nil && in.SecretBinary == nil {
		return nil, errSecretParameter("You must provide either SecretString or SecretBinary.")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.liveSecretLocked(regionName, in.SecretID)
	if err != nil {
		return nil, err
	}
	id, err := e.putVersionLocked(s, in.ClientRequestToken, in.SecretString, in.SecretBinary, in.VersionStages)
	if err != nil {
		return nil, err
	}
	return putSecretValueOutput{ARN: s.ARN, Name: s.Name, VersionID: id, VersionStages: slices.Clone(s.VersionIdsToStages[id])}, nil
}

type updateSecretInput struct {
	SecretID           string `json:"SecretId"`
	ClientRequestToken *string
	Description        *string
	KmsKeyID           *string `json:"KmsKeyId"`
	SecretString       *string
	SecretBinary       []byte
}

// updateSecret changes a secret's description or key and, with a value, adds a version labelled
// AWSCURRENT (SDK UpdateSecret: "If you include SecretString or SecretBinary, then Secrets Manager
// creates a new version").
func (e *Emulator) updateSecret(regionName string, in *updateSecretInput) (any, error) {
	var c constraints
	if in.Description != nil {
		c.check(len(*in.Description) <= maxSecretDescription, "description", in.Description, fmt.Sprintf("must have length less than or equal to %d", maxSecretDescription))
	}
	if aerr := checkSecretValue(in.SecretString, in.SecretBinary, &c); aerr != nil {
		return nil, aerr
	}
	if aerr := errSecretValidation(c); aerr != nil {
		return nil, aerr
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.liveSecretLocked(regionName, in.SecretID)
	if err != nil {
		return nil, err
	}
	next := s.clone()
	setString(&next.Description, in.Description)
	setString(&next.KmsKeyID, in.KmsKeyID)
	next.LastChangedDate = e.clock.Now()
	out := secretIDOutput{ARN: s.ARN, Name: s.Name}
	if in.SecretString != nil || in.SecretBinary != nil {
		if out.VersionID, err = e.putVersionLocked(&next, in.ClientRequestToken, in.SecretString, in.SecretBinary, nil); err != nil {
			return nil, err
		}
	}
	*s = next
	return out, nil
}

type deleteSecretInput struct {
	SecretID                   string `json:"SecretId"`
	ForceDeleteWithoutRecovery *bool
	RecoveryWindowInDays       *int64
}

type deleteSecretOutput struct {
	ARN          string `json:",omitempty"`
	Name         string
	DeletionDate epochSeconds
}

// deleteSecret schedules a secret's deletion after its recovery window (7 to 30 days, 30 by
// default) or, with ForceDeleteWithoutRecovery, deletes it at once; SDK: "If you forcibly delete
// an already deleted or nonexistent secret, the operation does not return
// ResourceNotFoundException", and "You can't use both this parameter and RecoveryWindowInDays in
// the same call". A secret already scheduled is refused without force, as Secrets Manager does.
func (e *Emulator) deleteSecret(regionName string, in *deleteSecretInput) (any, error) {
	force := in.ForceDeleteWithoutRecovery != nil && *in.ForceDeleteWithoutRecovery
	if force && in.RecoveryWindowInDays != nil {
		return nil, errSecretParameter("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
	}
	days := int64(defaultRecoveryDays)
	if in.RecoveryWindowInDays != nil {
		days = *in.RecoveryWindowInDays
	}
	if days < minRecoveryDays || days > maxRecoveryDays {
		return nil, errSecretParameter("The RecoveryWindowInDays value must be between %d and %d days (inclusive).", minRecoveryDays, maxRecoveryDays)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.Now()
	s, err := e.secretLocked(regionName, in.SecretID)
	switch {
	case err != nil && force:
		return deleteSecretOutput{Name: in.SecretID, DeletionDate: epochSeconds(now)}, nil
	case err != nil:
		return nil, err
	case force:
		_, _ = e.secretsIn(regionName).delete(s.Name)
		return deleteSecretOutput{ARN: s.ARN, Name: s.Name, DeletionDate: epochSeconds(now)}, nil
	case s.scheduled():
		return nil, errInvalidRequest(msgSecretScheduled)
	}
	s.DeletedDate, s.DeletionDate = now, now.Add(time.Duration(days)*24*time.Hour)
	return deleteSecretOutput{ARN: s.ARN, Name: s.Name, DeletionDate: epochSeconds(s.DeletionDate)}, nil
}

// restoreSecret cancels a scheduled deletion (SDK RestoreSecret: "Cancels the scheduled deletion
// of a secret by removing the DeletedDate time stamp").
func (e *Emulator) restoreSecret(regionName string, in *secretIDInput) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.secretLocked(regionName, in.SecretID)
	if err != nil {
		return nil, err
	}
	s.DeletedDate, s.DeletionDate = time.Time{}, time.Time{}
	return secretIDOutput{ARN: s.ARN, Name: s.Name}, nil
}

type secretTagsInput struct {
	SecretID string `json:"SecretId"`
	Tags     []Tag
	TagKeys  []string
}

// tagSecret adds or replaces tags (at most 50 on a secret, no aws: keys).
func (e *Emulator) tagSecret(regionName string, in *secretTagsInput) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.liveSecretLocked(regionName, in.SecretID)
	if err != nil {
		return nil, err
	}
	tags, err := mergeTags(s.Tags, in.Tags)
	if err != nil {
		return nil, errSecretParameter("%s", err.(*apiError).Message)
	}
	s.Tags = tags
	return nil, nil
}

// untagSecret removes tags by key; keys the secret does not have are ignored.
func (e *Emulator) untagSecret(regionName string, in *secretTagsInput) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.liveSecretLocked(regionName, in.SecretID)
	if err != nil {
		return nil, err
	}
	s.Tags = slices.DeleteFunc(slices.Clone(s.Tags), func(t Tag) bool { return slices.Contains(in.TagKeys, t.Key) })
	return nil, nil
}

type secretFilter struct {
	Key    string
	Values []string
}

type listSecretsInput struct {
	listInput
	Filters                []secretFilter
	IncludePlannedDeletion *bool
}

type listedSecret struct {
	ARN                    string
	Name                   string
	Description            string              `json:",omitempty"`
	KmsKeyID               string              `json:"KmsKeyId,omitempty"`
	CreatedDate            epochSeconds        `json:"CreatedDate"`
	LastChangedDate        epochSeconds        `json:"LastChangedDate"`
	DeletedDate            *epochSeconds       `json:",omitempty"`
	Tags                   []Tag               `json:",omitempty"`
	SecretVersionsToStages map[string][]string `json:",omitempty"`
}

type listSecretsOutput struct {
	SecretList []listedSecret
	NextToken  string `json:",omitempty"`
}

// listSecrets pages through the secrets of a region in name order, leaving out those scheduled
// for deletion unless IncludePlannedDeletion (SDK: "By default, secrets scheduled for deletion
// aren't included") and those the filters refuse. A page may hold fewer secrets than MaxResults
// while a NextToken follows, as the SDK allows ("Secrets Manager might return fewer results than
// the maximum even when there are more results available").
func (e *Emulator) listSecrets(regionName string, in *listSecretsInput) (any, error) {
	if in.MaxResults != nil && (*in.MaxResults < 1 || *in.MaxResults > maxListSecretsResults) {
		v := fmt.Sprint(*in.MaxResults)
		var c constraints
		c.check(false, "maxResults", &v, fmt.Sprintf("must have value between 1 and %d", maxListSecretsResults))
		return nil, errSecretValidation(c)
	}
	match, err := secretFilters(in.Filters)
	if err != nil {
		return nil, err
	}
	planned := in.IncludePlannedDeletion != nil && *in.IncludePlannedDeletion
	secrets := func() (*records[SecretRecord], error) { return e.liveSecretsLocked(regionName), nil }
	page, next, err := list(e, in.listInput, "ListSecrets", regionName, secrets, func(s *SecretRecord) *listedSecret {
		if (s.scheduled() && !planned) || !match(s) {
			return nil
		}
		c := s.clone()
		return &listedSecret{ARN: c.ARN, Name: c.Name, Description: c.Description, KmsKeyID: c.KmsKeyID,
			CreatedDate: epochSeconds(c.CreatedDate), LastChangedDate: epochSeconds(c.LastChangedDate), DeletedDate: optionalTime(c.DeletedDate),
			Tags: c.Tags, SecretVersionsToStages: c.VersionIdsToStages}
	})
	if err != nil {
		return nil, err
	}
	out := listSecretsOutput{SecretList: []listedSecret{}, NextToken: next}
	for _, s := range page {
		if s != nil {
			out.SecretList = append(out.SecretList, *s)
		}
	}
	return out, nil
}

// secretFilters returns the predicate of ListSecrets' filters (SDK Filter.Key): name, tag-key and
// tag-value are case-sensitive prefixes, description a prefix in any case, and a value starting
// with "!" negates; a secret must satisfy every filter, and one of each filter's values.
func secretFilters(filters []secretFilter) (func(*SecretRecord) bool, error) {
	for _, f := range filters {
		switch f.Key {
		case "name", "description", "tag-key", "tag-value":
		default:
			return nil, errSecretParameter("The filter key %q is not supported by the emulator (name, description, tag-key, tag-value).", f.Key)
		}
	}
	return func(s *SecretRecord) bool {
		for _, f := range filters {
			var fields []string
			switch f.Key {
			case "name":
				fields = []string{s.Name}
			case "description":
				fields = []string{strings.ToLower(s.Description)}
			case "tag-key":
				for _, t := range s.Tags {
					fields = append(fields, t.Key)
				}
			case "tag-value":
				for _, t := range s.Tags {
					fields = append(fields, t.Value)
				}
			}
			if !slices.ContainsFunc(f.Values, func(v string) bool { return filterMatches(f.Key, v, fields) }) {
				return false
			}
		}
		return true
	}, nil
}

// filterMatches reports whether a filter value matches one of the fields (or, negated, none).
func filterMatches(key, value string, fields []string) bool {
	negate := strings.HasPrefix(value, "!")
	value = strings.TrimPrefix(value, "!")
	if key == "description" {
		value = strings.ToLower(value)
	}
	found := slices.ContainsFunc(fields, func(f string) bool { return strings.HasPrefix(f, value) })
	return found != negate
}
