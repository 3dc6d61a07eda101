package controllers

import (
	"context"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// TestStatusPatchAwaitsCache checks that a status write returns only once the cache holds it (or
// a later version of the object), or the object is gone, or its resourceVersion cannot be
// compared: the reads of the cache it took tell.
func TestStatusPatchAwaitsCache(t *testing.T) {
	for _, tc := range []struct {
		name    string
		written string
		// cached are the resourceVersions successive reads of the cache find, the last one
		// for good; "" is an object gone.
		cached    []string
		wantReads int
	}{
		{name: "cache behind, then caught up", written: "12", cached: []string{"10", "11", "12"}, wantReads: 3},
		{name: "cache past the write", written: "12", cached: []string{"13"}, wantReads: 1},
		{name: "object gone", written: "12", cached: []string{""}, wantReads: 1},
		{name: "resourceVersion not comparable", written: "v12", cached: []string{"10"}, wantReads: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &laggingClient{written: tc.written, cached: tc.cached}
			usr := &v1alpha1.TransferUser{}
			usr.Name, usr.ResourceVersion = "u", "10"
			p := newStatusPatcher(c, usr)
			usr.Status.UserName = "u"
			if err := p.patch(context.Background(), usr); err != nil {
				t.Fatal(err)
			}
			if c.patches != 1 || c.reads != tc.wantReads {
				t.Errorf("%d patches and %d reads of the cache, want 1 and %d", c.patches, c.reads, tc.wantReads)
			}
		})
	}
}

// laggingClient answers a status patch with the resourceVersion written, and reads of the cache
// with the resourceVersions cached, one after the other.
type laggingClient struct {
	client.Client // only Get, Patch and Status are used
	written       string
	cached        []string
	patches       int
	reads         int
}

func (c *laggingClient) Get(_ context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	rv := c.cached[min(c.reads, len(c.cached)-1)]
	c.reads++
	if rv == "" {
		return apierrors.NewNotFound(schema.GroupResource{Resource: "transferusers"}, key.Name)
	}
	obj.SetResourceVersion(rv)
	return nil
}

func (c *laggingClient) Status() client.SubResourceWriter { return laggingStatus{c: c} }

type laggingStatus struct {
	client.SubResourceWriter // only Patch is used
	c                        *laggingClient
}

func (w laggingStatus) Patch(_ context.Context, obj client.Object, _ client.Patch, _ ...client.SubResourcePatchOption) error {
	w.c.patches++
	obj.SetResourceVersion(w.c.written)
	return nil
}

func (c *laggingClient) Patch(_ context.Context, obj client.Object, _ client.Patch, _ ...client.PatchOption) error {
	c.patches++
	obj.SetResourceVersion(c.written)
	return nil
}

// TestRemoveFinalizerAwaitsCache checks that releasing an object returns only once the cache no
// longer holds it with the finalizer: a pass started from that object would delete its resource
// in AWS again.
func TestRemoveFinalizerAwaitsCache(t *testing.T) {
	c := &laggingClient{written: "12", cached: []string{"10", "11", ""}}
	usr := &v1alpha1.TransferUser{}
	usr.Name, usr.ResourceVersion, usr.Finalizers = "u", "10", []string{Finalizer}
	if err := removeFinalizer(context.Background(), c, c, usr); err != nil {
		t.Fatal(err)
	}
	if c.patches != 1 || c.reads != 3 {
		t.Errorf("%d patches and %d reads of the cache, want 1 and 3", c.patches, c.reads)
	}
}
