package controllers_test

import (
	"slices"
	"testing"

	. "github.com/onsi/gomega"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/emulator"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// TestServerCustomHostname checks that spec.customHostname becomes the two aws:transfer tags and
// status.customHostname, that a change is applied (a zone left out removes the zone tag), that a
// hostname tag changed out of band is set back, and that once the field is removed the tags are
// left as they are, status still showing what AWS has.
func TestServerCustomHostname(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	srv := newServer(ns, "named", func(s *v1alpha1.TransferServerSpec) {
		s.CustomHostname = &v1alpha1.CustomHostname{Hostname: "sftp.example.com", Route53HostedZoneID: "/hostedzone/Z0123456789ABC"}
		s.Tags = v1alpha1.Tags{"team": "a"}
	})
	create(t, srv)
	waitReady(t, srv)
	id := srv.Status.ServerID

	hostnameTags := func(g Gomega) map[string]string {
		tags := tagMap(awsServer(g, id).Tags)
		for k := range tags {
			if k != transfer.TagCustomHostname && k != transfer.TagRoute53HostedZoneID {
				delete(tags, k)
			}
		}
		return tags
	}
	g.Expect(hostnameTags(g)).To(Equal(map[string]string{
		transfer.TagCustomHostname: "sftp.example.com", transfer.TagRoute53HostedZoneID: "/hostedzone/Z0123456789ABC",
	}))
	g.Expect(tagMap(awsServer(g, id).Tags)).To(HaveKeyWithValue("team", "a"))
	g.Expect(srv.Status.CustomHostname).To(Equal("sftp.example.com"))
	waitEvent(t, srv, "CreationCompleted", "set customHostname, which AWS takes only once the server exists")
	g.Expect(eventsText(g, ns)).NotTo(ContainSubstring("updated:"), "a fresh server does not look as if it drifted")

	update(t, srv, func(s *v1alpha1.TransferServer) {
		s.Spec.CustomHostname = &v1alpha1.CustomHostname{Hostname: "files.example.com"}
	})
	waitReady(t, srv)
	g.Expect(hostnameTags(g)).To(Equal(map[string]string{transfer.TagCustomHostname: "files.example.com"}))
	g.Expect(srv.Status.CustomHostname).To(Equal("files.example.com"))
	waitEvent(t, srv, "Updated", "customHostname")

	g.Expect(emu.ModifyServer(region, id, func(r *emulator.ServerRecord) {
		i := slices.IndexFunc(r.Tags, func(t emulator.Tag) bool { return t.Key == transfer.TagCustomHostname })
		r.Tags[i].Value = "changed.example.com"
	})).To(Succeed())
	g.Eventually(func(g Gomega) {
		g.Expect(hostnameTags(g)).To(Equal(map[string]string{transfer.TagCustomHostname: "files.example.com"}))
	}).WithTimeout(resync + timeout).Should(Succeed())
	waitEvent(t, srv, "DriftCorrected", "customHostname")

	update(t, srv, func(s *v1alpha1.TransferServer) { s.Spec.CustomHostname = nil })
	waitReady(t, srv)
	g.Expect(emu.ModifyServer(region, id, func(r *emulator.ServerRecord) {
		i := slices.IndexFunc(r.Tags, func(t emulator.Tag) bool { return t.Key == transfer.TagCustomHostname })
		r.Tags[i].Value = "byhand.example.com"
		r.Tags = append(r.Tags, emulator.Tag{Key: transfer.TagRoute53HostedZoneID, Value: "/hostedzone/ZBYHAND"})
	})).To(Succeed())
	g.Eventually(func(g Gomega) {
		get(g, srv)
		g.Expect(srv.Status.CustomHostname).To(Equal("byhand.example.com"))
	}).WithTimeout(resync + timeout).Should(Succeed())
	g.Consistently(func(g Gomega) {
		g.Expect(hostnameTags(g)).To(Equal(map[string]string{
			transfer.TagCustomHostname: "byhand.example.com", transfer.TagRoute53HostedZoneID: "/hostedzone/ZBYHAND",
		}))
	}).WithTimeout(2 * resync).Should(Succeed())
}
