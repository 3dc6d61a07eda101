package testenv

import (
	"context"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestControllerManager starts a control plane with kube-controller-manager and checks that
// its garbage collector follows ownerReferences and its namespace controller empties and
// removes a deleted namespace, and that Stop ends the process and removes its directory.
func TestControllerManager(t *testing.T) {
	logs := &SyncBuffer{}
	cp, err := StartWith(Options{ControllerManager: true, ControllerManagerOutput: logs})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = cp.Stop()
		}
	})
	ctx := context.Background()
	c := cp.Client
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kcm"}}
	owner := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "owner", Namespace: ns.Name}}
	for _, obj := range []client.Object{ns, owner} {
		if err := c.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	owned := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "owned", Namespace: ns.Name, OwnerReferences: []metav1.OwnerReference{{
		APIVersion: "v1", Kind: "Secret", Name: owner.Name, UID: owner.UID,
	}}}}
	kept := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kept", Namespace: ns.Name}}
	for _, obj := range []client.Object{owned, kept} {
		if err := c.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}

	if err := c.Delete(ctx, owner); err != nil {
		t.Fatal(err)
	}
	waitGone(t, c, owned, logs)
	if err := c.Get(ctx, client.ObjectKeyFromObject(kept), kept); err != nil {
		t.Fatalf("the garbage collector took a ConfigMap without an owner: %v", err)
	}

	if err := c.Delete(ctx, ns); err != nil {
		t.Fatal(err)
	}
	waitGone(t, c, ns, logs)

	cm := cp.cm
	stopped = true
	if err := cp.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	select {
	case <-cm.done:
	default:
		t.Error("kube-controller-manager still runs after Stop")
	}
	if _, err := os.Stat(cm.dir); !os.IsNotExist(err) {
		t.Errorf("Stop left kube-controller-manager's directory %s: %v", cm.dir, err)
	}
}

// waitGone waits, generously, until obj no longer exists.
func waitGone(t *testing.T, c client.Client, obj client.Object, logs *SyncBuffer) {
	t.Helper()
	gone := func(ctx context.Context) (bool, error) {
		err := c.Get(ctx, client.ObjectKeyFromObject(obj), obj)
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	}
	if err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, 2*time.Minute, true, gone); err != nil {
		t.Fatalf("%T %s is not gone: %v\nkube-controller-manager's log:\n%s", obj, obj.GetName(), err, logs)
	}
}
