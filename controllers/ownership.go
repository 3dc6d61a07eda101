package controllers

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// One owner per AWS resource: the operator tags what it creates or adopts with the owning
// object's UID and kind/namespace/name (transfer.OwnerTags), and never takes over, changes or
// deletes a resource whose tags name another object that still exists. A resource whose owner no
// longer exists (deleted with deletionPolicy Retain, or a cluster rebuilt from Git) may be taken
// over by adoption.

// otherOwner returns the live object other than self that the ownership tags of an AWS resource
// name, as "TransferUser team-a/alice", or "" when the tags name self, name nobody, or name an
// object that no longer exists. An owner the operator cannot look up (in a namespace it does not
// watch) counts as live.
func otherOwner(ctx context.Context, c client.Reader, self client.Object, tags map[string]string) string {
	uid := tags[transfer.TagOwnerUID]
	if uid == "" || uid == string(self.GetUID()) {
		return ""
	}
	kind, namespace, name, ok := parseOwnerTag(tags[transfer.TagOwner])
	if !ok {
		return ""
	}
	k, known := kindNamed(kind)
	if !known {
		return fmt.Sprintf("%s %s/%s", kind, namespace, name)
	}
	owner := k.newObj()
	err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, owner)
	switch {
	case apierrors.IsNotFound(err):
		return ""
	case err != nil:
		return fmt.Sprintf("%s %s/%s (which this operator cannot read: %v)", kind, namespace, name, err)
	case string(owner.GetUID()) != uid:
		// The name was reused by a new object: the one that owned the resource is gone.
		return ""
	}
	return fmt.Sprintf("%s %s/%s", kind, namespace, name)
}

// parseOwnerTag splits the value of the transfer.TagOwner tag, kind/namespace/name.
func parseOwnerTag(v string) (kind, namespace, name string, ok bool) {
	parts := strings.Split(v, "/")
	if len(parts) != 3 || parts[0] == "" || parts[2] == "" {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

// ownedByAnother is the stall of an object whose AWS resource another live object manages.
func ownedByAnother(what, owner string) error {
	return stalled(v1alpha1.ReasonOwnedByAnother,
		"%s is managed by %s (its ownership tags name it): this object changes nothing and deleting it leaves the resource alone; delete one of the two objects, or see docs/troubleshooting.md#ownedbyanother",
		what, owner)
}

// ownedByAnotherAtLastPass returns the message of the Stalled condition when the last pass found
// the object's AWS resource managed by another live object, and "" otherwise.
func ownedByAnotherAtLastPass(obj conditionsObject) string {
	if c := meta.FindStatusCondition(obj.GetConditions(), v1alpha1.ConditionStalled); c != nil && c.Status == metav1.ConditionTrue && c.Reason == v1alpha1.ReasonOwnedByAnother {
		return c.Message
	}
	return ""
}
