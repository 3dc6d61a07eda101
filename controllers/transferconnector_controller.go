package controllers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// +kubebuilder:rbac:groups=transfer.operators.dev,resources=transferconnectors,verbs=list;watch;patch
// +kubebuilder:rbac:groups=transfer.operators.dev,resources=transferconnectors/status,verbs=patch

// indexConnectorCredentials indexes TransferConnectors by the Secret of their credentials.
const indexConnectorCredentials = "spec.sftpConfig.credentialsSecretRef.name"

// connectorKind is the TransferConnector kind: each object is one SFTP connector to a partner.
// Credentials given as a Kubernetes Secret are copied into a Secrets Manager secret the object
// owns (the connector reads only Secrets Manager), kept up to date and deleted with it. After a
// create or a change, and at most once a resync period, TestConnection says whether the
// connector reaches its partner (the Connected condition); the operator never trusts a host key
// by itself.
type connectorKind struct{ deps }

// connectorWant is what a TransferConnector asks for: the connector, and the credentials of
// spec.sftpConfig.credentialsSecretRef (nil with userSecretId) with the Secret's version.
type connectorWant struct {
	desired      transfer.DesiredConnector
	creds        *transfer.ConnectorCredentials
	credsVersion string
}

// newConnectorReconciler returns the reconciler of TransferConnectors.
func newConnectorReconciler(d deps) *reconciler[*v1alpha1.TransferConnector, connectorWant, *transfer.Connector] {
	return &reconciler[*v1alpha1.TransferConnector, connectorWant, *transfer.Connector]{deps: d, name: "transferconnector", kind: &connectorKind{d}}
}

func newConnectorList() client.ObjectList { return &v1alpha1.TransferConnectorList{} }

// connectorIndexes indexes TransferConnectors by the Secret of their credentials.
func connectorIndexes(ctx context.Context, mgr ctrl.Manager) error {
	return mgr.GetFieldIndexer().IndexField(ctx, &v1alpha1.TransferConnector{}, indexConnectorCredentials, func(o client.Object) []string {
		if ref := credentialsRef(&o.(*v1alpha1.TransferConnector).Spec); ref != nil {
			return []string{ref.Name}
		}
		return nil
	})
}

func credentialsRef(s *v1alpha1.TransferConnectorSpec) *v1alpha1.ConnectorCredentialsRef {
	if s.SFTPConfig == nil {
		return nil
	}
	return s.SFTPConfig.CredentialsSecretRef
}

func (r *connectorKind) newObject() *v1alpha1.TransferConnector { return &v1alpha1.TransferConnector{} }

func (r *connectorKind) logValues(con *v1alpha1.TransferConnector) []any {
	if id := cmp.Or(con.Status.ConnectorID, con.Spec.ConnectorID); id != "" {
		return []any{"connectorId", id}
	}
	return nil
}

// watch adds the Secrets of credentials (by metadata: their resourceVersion tells a change) and
// the AWSAccounts.
func (r *connectorKind) watch(b *builder.Builder) *builder.Builder {
	return watchAccounts(b, r.Client, newConnectorList).
		WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(referencing(r.Client, indexConnectorCredentials, newConnectorList)))
}

func (r *connectorKind) site(con *v1alpha1.TransferConnector) *site {
	return &site{placement: &con.Status.Placement, what: "the connector", specRegion: con.Spec.Region, specAccount: con.Spec.Account, arn: con.Status.ARN}
}

// recorded is true once a connector, its create intent or the secret of its credentials is.
func (r *connectorKind) recorded(con *v1alpha1.TransferConnector) bool {
	return con.Status.ConnectorID != "" || con.Status.CreatePending || con.Status.UserSecretARN != ""
}

// mayExist is true once something is recorded, and while the spec has credentials whose secret a
// lost response may have made.
func (r *connectorKind) mayExist(con *v1alpha1.TransferConnector) bool {
	return r.recorded(con) || credentialsRef(&con.Spec) != nil
}

func (r *connectorKind) applied(con *v1alpha1.TransferConnector) []string {
	return transfer.AppliedConnectorFields(&con.Spec)
}

func (r *connectorKind) comparePeriod(*v1alpha1.TransferConnector) time.Duration {
	return r.Options.Resync
}

func (r *connectorKind) readyMessage(con *v1alpha1.TransferConnector) string {
	return fmt.Sprintf("connector %s is %s and matches the spec", con.Status.ConnectorID, con.Status.State)
}

func (r *connectorKind) resource(con *v1alpha1.TransferConnector) string {
	return "connector " + con.Status.ConnectorID
}

func (r *connectorKind) deletingMessage(*v1alpha1.TransferConnector) string {
	return "deleting the connector"
}

// awaitDependents has nothing to wait for.
func (r *connectorKind) awaitDependents(context.Context, *v1alpha1.TransferConnector) error {
	return nil
}

// desire resolves the connector the spec describes and reads its credentials Secret.
func (r *connectorKind) desire(ctx context.Context, con *v1alpha1.TransferConnector, _ placement) (connectorWant, error) {
	want := connectorWant{desired: transfer.DesiredConnector{
		Spec:         &con.Spec,
		UserSecretID: cmp.Or(con.Spec.SFTPConfig.UserSecretID, con.Status.UserSecretARN),
		Applied:      con.Status.AppliedFields,
		OwnerTags:    transfer.OwnerTags("TransferConnector", con.Namespace, con.Name, string(con.UID)),
	}}
	ref := credentialsRef(&con.Spec)
	if ref == nil {
		return want, nil
	}
	secret := &corev1.Secret{}
	if err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: con.Namespace, Name: ref.Name}, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return want, stalled(v1alpha1.ReasonSecretNotFound, "Secret %s named by spec.sftpConfig.credentialsSecretRef does not exist in namespace %s: create it with the user name and a private key or password", ref.Name, con.Namespace)
		}
		return want, fmt.Errorf("reading the credentials Secret %s: %w", ref.Name, err)
	}
	creds, err := credentialsOf(secret, ref)
	if err != nil {
		return want, err
	}
	want.creds, want.credsVersion = &creds, secret.ResourceVersion
	return want, nil
}

// credentialsOf reads the credentials ref names from secret. Errors name keys, never values.
func credentialsOf(secret *corev1.Secret, ref *v1alpha1.ConnectorCredentialsRef) (transfer.ConnectorCredentials, error) {
	userKey, keyKey, passKey := cmp.Or(ref.UsernameKey, "username"), cmp.Or(ref.PrivateKeyKey, "privateKey"), cmp.Or(ref.PasswordKey, "password")
	creds := transfer.ConnectorCredentials{
		Username:   strings.TrimSpace(string(secret.Data[userKey])),
		PrivateKey: transfer.Sensitive(secret.Data[keyKey]),
		Password:   transfer.Sensitive(secret.Data[passKey]),
	}
	switch {
	case creds.Username == "":
		return creds, stalled(v1alpha1.ReasonSecretNotFound, "Secret %s has no user name under key %q (spec.sftpConfig.credentialsSecretRef.usernameKey)", secret.Name, userKey)
	case creds.PrivateKey == "" && creds.Password == "":
		return creds, stalled(v1alpha1.ReasonSecretNotFound, "Secret %s has neither a private key under key %q nor a password under key %q: an SFTP connector logs in with one of them", secret.Name, keyKey, passKey)
	}
	return creds, nil
}

// secretName is the name of the Secrets Manager secret the operator keeps for con: unique to the
// object, so that a lost response to its create is found again and nobody else's is taken.
func secretName(con *v1alpha1.TransferConnector) string {
	return fmt.Sprintf("transfer-operator/%s/%s/%s", con.Namespace, con.Name, con.UID)
}

// observe returns the connector in AWS: the one recorded in status, the one named by
// spec.connectorId, or the one an earlier create whose outcome is unknown made. A recorded
// connector deleted outside the operator is forgotten, to be created again.
func (r *connectorKind) observe(ctx context.Context, con *v1alpha1.TransferConnector, at placement, _ connectorWant) (*transfer.Connector, bool, error) {
	adopt := con.Status.ConnectorID == "" && con.Spec.ConnectorID != ""
	if adopt {
		if err := adoptionAllowed(at.account, "connector "+con.Spec.ConnectorID); err != nil {
			return nil, false, err
		}
	}
	o, err := at.svc.ObserveConnector(ctx, transfer.Recorded{
		ID: cmp.Or(con.Status.ConnectorID, con.Spec.ConnectorID), CreatePending: con.Status.CreatePending, OwnerUID: string(con.UID),
	})
	switch {
	case err != nil:
		return nil, false, err
	case o.FoundByTag:
		r.Notify.normal(ctx, con, eventAdopted, "found connector %s, created by an earlier attempt whose response was lost", o.ID)
	case o.Gone && adopt:
		return nil, false, stalled(v1alpha1.ReasonNotFound, "connector %s named by spec.connectorId does not exist in %s", o.ID, at.region)
	case o.Gone:
		r.Notify.warning(ctx, con, eventRecreating, "connector %s was deleted outside the operator; creating a new one in %s", o.ID, at.region)
		con.Status.ConnectorID, con.Status.ARN, con.Status.CreatePending, con.Status.Connection = "", "", false, nil
		return nil, false, nil
	}
	if o.Resource == nil {
		return nil, false, nil
	}
	if owner := otherOwner(ctx, r.Client, con, o.Resource.Tags); owner != "" {
		return nil, false, ownedByAnother("connector "+o.ID, owner)
	}
	if adopt {
		r.Notify.normal(ctx, con, eventAdopted, "adopted connector %s in %s", o.ID, at.region)
	}
	con.Status.ConnectorID, con.Status.ARN, con.Status.CreatePending = o.ID, o.Resource.ARN, false
	return o.Resource, true, nil
}

// create stores the credentials, then creates the connector, after writing the intent
// (createPending, with the placement the pass set) to status, so that a lost response or a crash
// leads the next pass to look the connector up by its ownership tag instead of creating a second
// one. The new connector is described and returned, so that the same pass records it.
func (r *connectorKind) create(ctx context.Context, con *v1alpha1.TransferConnector, at placement, want connectorWant, status *statusPatcher) (*transfer.Connector, bool, error) {
	if err := r.storeCredentials(ctx, con, at, &want); err != nil {
		return nil, false, err
	}
	con.Status.CreatePending = true
	if err := status.patch(ctx, con); err != nil {
		return nil, false, err
	}
	id, err := at.svc.CreateConnector(ctx, want.desired)
	if err != nil {
		if transfer.Classify(err).Terminal() {
			// AWS refused the request: nothing was made, so there is nothing to look for.
			con.Status.CreatePending = false
		}
		return nil, false, err
	}
	con.Status.ConnectorID, con.Status.CreatePending = id, false
	if err := status.patch(ctx, con); err != nil {
		return nil, false, err
	}
	r.Notify.normal(ctx, con, eventCreated, "created connector %s in %s", id, at.region)
	c, err := at.svc.DescribeConnector(ctx, id)
	return c, err == nil, err
}

// connectorSteps are the steps of a connector's update, in order; each may end the pass.
var connectorSteps = []func(r *connectorKind, ctx context.Context, con *v1alpha1.TransferConnector, at placement, want connectorWant, c *transfer.Connector) error{
	(*connectorKind).awaitSettled,
	(*connectorKind).applyPlan,
	(*connectorKind).testConnection,
}

// update records the connector in status, keeps its credentials secret up to date and makes it
// match the spec, then tests its connection when that is due.
func (r *connectorKind) update(ctx context.Context, con *v1alpha1.TransferConnector, at placement, want connectorWant, c *transfer.Connector) error {
	recordConnector(con, c)
	if err := r.storeCredentials(ctx, con, at, &want); err != nil {
		return err
	}
	for _, step := range connectorSteps {
		if err := step(r, ctx, con, at, want, c); err != nil {
			return err
		}
	}
	return nil
}

// awaitSettled waits while AWS creates or changes the connector (PENDING).
func (r *connectorKind) awaitSettled(_ context.Context, con *v1alpha1.TransferConnector, _ placement, _ connectorWant, c *transfer.Connector) error {
	if c.State == transfer.ConnectorPending {
		reason := v1alpha1.ReasonUpdating
		if con.Status.ObservedGeneration == 0 {
			reason = v1alpha1.ReasonCreating
		}
		return waiting(reason, r.Options.pollAfter(con), "connector %s is %s", c.ID, c.State)
	}
	return nil
}

// applyPlan sends what PlanConnector finds different. A connector AWS reports ERRORED with
// nothing to change is stalled with AWS's message.
func (r *connectorKind) applyPlan(ctx context.Context, con *v1alpha1.TransferConnector, at placement, want connectorWant, c *transfer.Connector) error {
	plan := transfer.PlanConnector(want.desired, c)
	if plan.InSync() {
		if c.State == transfer.ConnectorErrored {
			return stalled(v1alpha1.ReasonConnectorErrored, "AWS reports connector %s ERRORED: %s", c.ID, cmp.Or(c.ErrorMessage, "(no message)"))
		}
		return nil
	}
	reason := changeEvent(con, con.Status.ObservedGeneration)
	if err := at.svc.ApplyConnectorPlan(ctx, c, plan); err != nil {
		return err
	}
	changed := plan.Changed
	if len(changed) == 0 {
		changed = []string{"tags"}
	}
	r.Notify.normal(ctx, con, reason, "%s: %s", changeVerb(reason), fieldList(changed))
	if plan.Update != nil {
		return waiting(v1alpha1.ReasonUpdating, r.Options.PollInterval, "applying %s", fieldList(plan.Changed))
	}
	return nil
}

// testConnection runs TestConnection when it is due (testDue) and records the outcome in
// status.connection and the Connected condition, with an Event when Connected changes. A
// partner whose host key trustedHostKeys does not list is named with that key.
func (r *connectorKind) testConnection(ctx context.Context, con *v1alpha1.TransferConnector, at placement, _ connectorWant, c *transfer.Connector) error {
	if c.State != transfer.ConnectorActive || !r.testDue(con) {
		return nil
	}
	t, err := at.svc.TestConnection(ctx, c.ID)
	if err != nil {
		return err
	}
	con.Status.Connection = &v1alpha1.ConnectionTest{
		Status: "ERROR", Message: t.Message, HostKey: t.HostKey,
		Time: metav1.NewTime(r.Options.Clock.Now()), Generation: con.Generation, CredentialsVersion: con.Status.CredentialsVersion,
	}
	status, reason, message := metav1.ConditionTrue, v1alpha1.ReasonConnectionSucceeded, "the connector reached "+cmp.Or(con.Spec.URL, "the partner")+" and logged in: "+t.Message
	trusted := con.Spec.SFTPConfig.TrustedHostKeys
	if t.OK {
		con.Status.Connection.Status = "OK"
	}
	switch {
	case t.HostKey != "" && !slices.Contains(trusted, t.HostKey):
		// Without a trusted key AWS may log in (TestConnection reports the key to be added), but
		// no file moves until the key is trusted.
		status, reason = metav1.ConditionFalse, v1alpha1.ReasonHostKeyNotTrusted
		message = fmt.Sprintf("the partner presented host key %q, which spec.sftpConfig.trustedHostKeys does not list", t.HostKey)
		if len(trusted) > 0 {
			message += fmt.Sprintf(" (it lists %d): if the partner changed its key, confirm the new one with them and add it", len(trusted))
		} else {
			message += ": confirm it is the partner's (ssh-keyscan, or ask them) and add it to trust it"
		}
		message += "; AWS answered: " + t.Message
	case !t.OK:
		status, reason, message = metav1.ConditionFalse, v1alpha1.ReasonConnectionFailed, "the connector could not connect and log in: "+t.Message
	}
	if !conditionSays(con, v1alpha1.ConditionConnected, message) {
		if status == metav1.ConditionTrue {
			r.Notify.normal(ctx, con, reason, "%s", message)
		} else {
			r.Notify.warning(ctx, con, reason, "%s", message)
		}
	}
	setCondition(con, v1alpha1.ConditionConnected, status, reason, message)
	return nil
}

// testDue reports whether a TestConnection is due: none was made for this generation of the
// spec or these credentials, or the last one is most of a resync period old (drift passes come
// a jittered resync period apart).
func (r *connectorKind) testDue(con *v1alpha1.TransferConnector) bool {
	last := con.Status.Connection
	return last == nil || last.Generation != con.Generation || last.CredentialsVersion != con.Status.CredentialsVersion ||
		r.Options.Clock.Since(last.Time.Time) >= r.Options.Resync*8/10
}

// storeCredentials copies the credentials of spec.sftpConfig.credentialsSecretRef into the
// Secrets Manager secret the object owns, when they changed since the last copy, and points
// want at it.
func (r *connectorKind) storeCredentials(ctx context.Context, con *v1alpha1.TransferConnector, at placement, want *connectorWant) error {
	if want.creds == nil {
		return nil
	}
	if con.Status.UserSecretARN != "" && con.Status.CredentialsVersion == want.credsVersion {
		want.desired.UserSecretID = con.Status.UserSecretARN
		return nil
	}
	arn, err := at.svc.PutOwnedSecret(ctx, con.Status.UserSecretARN, secretName(con), *want.creds, want.desired.OwnerTags)
	if errors.Is(err, transfer.ErrSecretOwnedByAnother) {
		return stalledBy(err, v1alpha1.ReasonAlreadyExists, "Secrets Manager secret %s exists and was not made for this TransferConnector: delete it, or set spec.sftpConfig.userSecretId instead", secretName(con))
	}
	if err != nil {
		return err
	}
	ref := credentialsRef(&con.Spec)
	if con.Status.UserSecretARN == "" {
		r.Notify.normal(ctx, con, eventCreated, "stored the credentials of Secret %s in Secrets Manager secret %s", ref.Name, arn)
	} else {
		r.Notify.normal(ctx, con, eventUpdated, "copied the changed credentials of Secret %s into Secrets Manager secret %s", ref.Name, arn)
	}
	con.Status.UserSecretARN, con.Status.CredentialsVersion = arn, want.credsVersion
	want.desired.UserSecretID = arn
	return nil
}

// recordConnector copies what AWS reported into the status.
func recordConnector(con *v1alpha1.TransferConnector, c *transfer.Connector) {
	con.Status.ConnectorID, con.Status.ARN = c.ID, c.ARN
	con.Status.State, con.Status.ErrorMessage, con.Status.EgressType = c.State, c.ErrorMessage, c.EgressType
	con.Status.EgressIPAddresses = c.EgressIPs
}

// delete deletes the connector this object created or adopted (or a lost create made), then the
// Secrets Manager secret it kept for its credentials. A connector whose ownership tags name
// another live object is left alone, and so is a secret this object did not make.
func (r *connectorKind) delete(ctx context.Context, con *v1alpha1.TransferConnector, at placement) error {
	d, err := at.svc.DeleteRecordedConnector(ctx, transfer.Recorded{ID: con.Status.ConnectorID, CreatePending: con.Status.CreatePending, OwnerUID: string(con.UID)},
		func(tags map[string]string) string { return otherOwner(ctx, r.Client, con, tags) })
	switch {
	case err != nil:
		return err
	case d.OwnedBy != "":
		r.Notify.normal(ctx, con, eventRetained, "left connector %s in AWS: it is managed by %s", d.ID, d.OwnedBy)
	case len(d.Deleted) > 0:
		r.Notify.normal(ctx, con, eventDeleted, "deleted connector %s", d.ID)
	}
	if con.Status.UserSecretARN == "" && credentialsRef(&con.Spec) == nil {
		return nil
	}
	err = at.svc.DeleteOwnedSecret(ctx, secretName(con), string(con.UID))
	if errors.Is(err, transfer.ErrSecretOwnedByAnother) {
		r.Notify.normal(ctx, con, eventRetained, "left Secrets Manager secret %s: it was not made for this object", secretName(con))
		return nil
	}
	return err
}
