package transfer

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"encoding/pem"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// bitReader hands out the bits of a fuzz input one decision at a time; once they run out every
// decision is "no" or the first option.
type bitReader struct {
	data []byte
	bit  int
}

func newBits(data []byte) *bitReader { return &bitReader{data: data} }

func (b *bitReader) next() bool {
	if len(b.data) == 0 {
		return false
	}
	r := b.data[0]>>b.bit&1 == 1
	if b.bit++; b.bit == 8 {
		b.data, b.bit = b.data[1:], 0
	}
	return r
}

func (b *bitReader) small(n int) int {
	v := 0
	for range 8 {
		v <<= 1
		if b.next() {
			v |= 1
		}
	}
	return v % n
}

func (b *bitReader) pick(options ...string) string { return options[b.small(len(options))] }

// parts splits a fuzz string into the values the builders use, so that one string feeds many
// fields.
type parts []string

func newParts(s string) parts { return strings.Split(s, "|") }

func (p parts) at(i int) string { return p[i%len(p)] }

// list returns a non-nil list of the comma-separated values of the i-th part.
func (p parts) list(i int) []string {
	if p.at(i) == "" {
		return []string{}
	}
	return strings.Split(p.at(i), ",")
}

// fuzzServerSpec builds a DesiredServer from fuzz input: each bit decides whether a field is set.
func fuzzServerSpec(bits []byte, a string) DesiredServer {
	b, p := newBits(bits), newParts(a)
	s := &v1alpha1.TransferServerSpec{}
	if b.next() {
		s.Domain = b.pick("S3", "EFS", p.at(0))
	}
	if b.next() {
		for _, v := range p.list(1) {
			s.Protocols = append(s.Protocols, v1alpha1.Protocol(v))
		}
		if s.Protocols == nil {
			s.Protocols = []v1alpha1.Protocol{"SFTP"}
		}
	}
	if b.next() {
		s.EndpointType = b.pick("PUBLIC", "VPC", "VPC_ENDPOINT", p.at(2))
	}
	if b.next() {
		e := &v1alpha1.EndpointDetails{}
		if b.next() {
			e.VpcID = p.at(3)
		}
		if b.next() {
			e.SubnetIDs = p.list(4)
		}
		if b.next() {
			for _, g := range p.list(5) {
				e.SecurityGroupIDs = append(e.SecurityGroupIDs, v1alpha1.SecurityGroupID(g))
			}
		}
		if b.next() {
			e.AddressAllocationIDs = p.list(6)
		}
		if b.next() {
			e.VpcEndpointID = p.at(7)
		}
		s.EndpointDetails = e
	}
	if b.next() {
		s.IPAddressType = b.pick("IPV4", "DUALSTACK", p.at(8))
	}
	if b.next() {
		s.IdentityProviderType = b.pick("SERVICE_MANAGED", "API_GATEWAY", "AWS_LAMBDA", p.at(9))
	}
	if b.next() {
		ipd := &v1alpha1.IdentityProviderDetails{}
		if b.next() {
			ipd.URL = p.at(10)
		}
		if b.next() {
			ipd.InvocationRole = p.at(11)
		}
		if b.next() {
			ipd.DirectoryID = p.at(12)
		}
		if b.next() {
			ipd.Function = p.at(13)
		}
		if b.next() {
			ipd.SftpAuthenticationMethods = b.pick("PASSWORD", "PUBLIC_KEY", p.at(14))
		}
		s.IdentityProviderDetails = ipd
	}
	d := DesiredServer{Spec: s, OwnerTags: serverOwnerTags}
	if b.next() {
		d.HostKey, d.HostKeyFingerprint = Sensitive("KEY "+p.at(15)), "SHA256:"+p.at(15)
	}
	for _, f := range []*string{&s.Certificate, &s.LoggingRole, &s.SecurityPolicyName, &s.PreAuthenticationLoginBanner, &s.PostAuthenticationLoginBanner} {
		if b.next() {
			*f = p.at(16 + b.small(4))
		}
	}
	if b.next() {
		s.StructuredLogDestinations = []v1alpha1.LogDestinationARN{}
		for _, l := range p.list(20) {
			s.StructuredLogDestinations = append(s.StructuredLogDestinations, v1alpha1.LogDestinationARN(l))
		}
	}
	if b.next() {
		pd := &v1alpha1.ProtocolDetails{}
		if b.next() {
			pd.PassiveIP = p.at(21)
		}
		if b.next() {
			pd.TLSSessionResumptionMode = b.pick("DISABLED", "ENABLED", "ENFORCED")
		}
		if b.next() {
			pd.SetStatOption = b.pick("DEFAULT", "ENABLE_NO_OP")
		}
		if b.next() {
			pd.As2Transports = p.list(22)
		}
		s.ProtocolDetails = pd
	}
	if b.next() {
		s.S3StorageOptions = &v1alpha1.S3StorageOptions{DirectoryListingOptimization: b.pick("", "ENABLED", "DISABLED")}
	}
	if b.next() {
		w := &v1alpha1.WorkflowDetails{}
		for _, l := range []*[]v1alpha1.WorkflowDetail{&w.OnUpload, &w.OnPartialUpload} {
			if b.next() {
				*l = []v1alpha1.WorkflowDetail{}
				if b.next() {
					*l = append(*l, v1alpha1.WorkflowDetail{WorkflowID: p.at(23), ExecutionRole: p.at(24)})
				}
			}
		}
		s.WorkflowDetails = w
	}
	if b.next() {
		s.Tags = v1alpha1.Tags{}
		for i, k := range p.list(25) {
			s.Tags["k"+k] = p.at(26 + i)
		}
	}
	return d
}

// describedFromSpec is the server AWS would describe once d is applied: lists in another order,
// a field the spec sets to its default reported or left out, security groups and the host key
// not reported. Fields the spec leaves out get values from noise, as AWS's defaults or another
// tool's settings would.
func describedFromSpec(d DesiredServer, noise []byte, junk string) types.DescribedServer {
	s, n := d.Spec, newBits(noise)
	str := func(want string) *string {
		if want != "" {
			return aws.String(want)
		}
		if n.next() {
			return aws.String(junk)
		}
		return nil
	}
	enum := func(want string) string {
		if want == "" && n.next() {
			return junk
		}
		return want
	}
	// orOmitted is how AWS may report a field it reports as its default def: not at all.
	orOmitted := func(reported, def string) string {
		if reported == def && n.next() {
			return ""
		}
		return reported
	}
	list := func(want []string) []string {
		if want == nil {
			if n.next() {
				return []string{junk}
			}
			return nil
		}
		out := slices.Clone(want)
		slices.Reverse(out)
		return out
	}
	listOrOmitted := func(want, def []string) []string {
		if want != nil && sameSet(want, def) && n.next() {
			return nil
		}
		return list(want)
	}
	o := types.DescribedServer{Arn: aws.String(testServerARN), ServerId: aws.String(testServerID), State: types.StateOnline}
	o.Domain = types.Domain(enum(s.Domain))
	o.Protocols = toEnums[types.Protocol](listOrOmitted(nilIfNil(s.Protocols, convertStrings[string](s.Protocols)), []string{defaultProtocol}))
	o.EndpointType = types.EndpointType(orOmitted(enum(s.EndpointType), defaultEndpointType))
	if e := s.EndpointDetails; e != nil || n.next() {
		if e == nil {
			e = &v1alpha1.EndpointDetails{}
		}
		o.EndpointDetails = &types.EndpointDetails{
			VpcId:                str(e.VpcID),
			SubnetIds:            list(e.SubnetIDs),
			VpcEndpointId:        str(e.VpcEndpointID),
			AddressAllocationIds: listOrOmitted(e.AddressAllocationIDs, []string{}),
		}
	}
	o.IpAddressType = types.IpAddressType(orOmitted(enum(s.IPAddressType), defaultIPAddressType))
	o.IdentityProviderType = types.IdentityProviderType(orOmitted(enum(s.IdentityProviderType), defaultIdentityProviderType))
	if ipd := s.IdentityProviderDetails; ipd != nil || n.next() {
		if ipd == nil {
			ipd = &v1alpha1.IdentityProviderDetails{}
		}
		o.IdentityProviderDetails = &types.IdentityProviderDetails{
			Url: str(ipd.URL), InvocationRole: str(ipd.InvocationRole), DirectoryId: str(ipd.DirectoryID), Function: str(ipd.Function),
			SftpAuthenticationMethods: types.SftpAuthenticationMethods(orOmitted(enum(ipd.SftpAuthenticationMethods), defaultSftpAuthentication)),
		}
	}
	o.HostKeyFingerprint = str(d.HostKeyFingerprint)
	o.Certificate, o.LoggingRole, o.SecurityPolicyName = str(s.Certificate), str(s.LoggingRole), str(s.SecurityPolicyName)
	o.PreAuthenticationLoginBanner, o.PostAuthenticationLoginBanner = str(s.PreAuthenticationLoginBanner), str(s.PostAuthenticationLoginBanner)
	o.StructuredLogDestinations = listOrOmitted(nilIfNil(s.StructuredLogDestinations, convertStrings[string](s.StructuredLogDestinations)), []string{})
	if pd := s.ProtocolDetails; pd != nil || n.next() {
		if pd == nil {
			pd = &v1alpha1.ProtocolDetails{}
		}
		o.ProtocolDetails = &types.ProtocolDetails{
			PassiveIp:                str(pd.PassiveIP),
			TlsSessionResumptionMode: types.TlsSessionResumptionMode(orOmitted(enum(pd.TLSSessionResumptionMode), defaultTLSSessionResumption)),
			SetStatOption:            types.SetStatOption(orOmitted(enum(pd.SetStatOption), defaultSetStatOption)),
			As2Transports:            toEnums[types.As2Transport](listOrOmitted(pd.As2Transports, []string{defaultAs2Transport})),
		}
		if aws.ToString(o.ProtocolDetails.PassiveIp) == defaultPassiveIP && n.next() {
			o.ProtocolDetails.PassiveIp = nil
		}
	}
	if so := s.S3StorageOptions; so != nil && so.DirectoryListingOptimization != "" {
		if dlo := orOmitted(so.DirectoryListingOptimization, defaultDirectoryListing); dlo != "" {
			o.S3StorageOptions = &types.S3StorageOptions{DirectoryListingOptimization: types.DirectoryListingOptimization(dlo)}
		}
	} else if n.next() {
		o.S3StorageOptions = &types.S3StorageOptions{DirectoryListingOptimization: types.DirectoryListingOptimization(junk)}
	}
	if w := s.WorkflowDetails; w != nil || n.next() {
		conv := func(ws []v1alpha1.WorkflowDetail) []types.WorkflowDetail {
			if ws == nil && n.next() {
				return []types.WorkflowDetail{{WorkflowId: aws.String(junk), ExecutionRole: aws.String(junk)}}
			}
			var out []types.WorkflowDetail
			for _, x := range ws {
				out = append(out, types.WorkflowDetail{WorkflowId: aws.String(x.WorkflowID), ExecutionRole: aws.String(x.ExecutionRole)})
			}
			return out
		}
		if w == nil {
			w = &v1alpha1.WorkflowDetails{}
		}
		o.WorkflowDetails = &types.WorkflowDetails{OnUpload: conv(w.OnUpload), OnPartialUpload: conv(w.OnPartialUpload)}
	}
	tags := mergeTags(s.Tags, d.OwnerTags)
	if n.next() {
		tags["aws:"+junk] = junk
		tags[TagPrefix+"other-"+junk] = junk
	}
	o.Tags = tagsFromMap(tags)
	return o
}

// nilIfNil returns conv, or nil when orig is nil, keeping the set/unset distinction of a list.
func nilIfNil[T any](orig []T, conv []string) []string {
	if orig == nil {
		return nil
	}
	if conv == nil {
		return []string{}
	}
	return conv
}

func toEnums[E ~string](ss []string) []E {
	if ss == nil {
		return nil
	}
	out := make([]E, 0, len(ss))
	for _, s := range ss {
		out = append(out, E(s))
	}
	return out
}

// FuzzPlanServer checks that PlanServer never panics, is deterministic, finds a server that
// matches the spec in sync whatever AWS reports for the fields the spec leaves out, and plans
// consistent requests for any server.
func FuzzPlanServer(f *testing.F) {
	f.Add([]byte{}, []byte{}, "", "", false)
	f.Add(bytes.Repeat([]byte{0xff}, 64), []byte{}, "S3|SFTP,FTPS|VPC|vpc-1|subnet-1,subnet-2|sg-1|eip-1,eip-2", "x", true)
	f.Add(bytes.Repeat([]byte{0x55}, 64), bytes.Repeat([]byte{0xaa}, 64), "a|b|c", "d|e|f", false)
	f.Fuzz(func(t *testing.T, specBits, awsBits []byte, a, b string, specChanged bool) {
		d := fuzzServerSpec(specBits, a)
		self := describedFromSpec(d, awsBits, b)
		for _, changed := range []bool{false, true} {
			if p := PlanServer(d, serverFromDescribed(&self), changed); !p.InSync() || !p.Update.IsEmpty() || !p.OfflineUpdate.IsEmpty() {
				t.Fatalf("server described from its own spec (specChanged %v) is not in sync: %+v", changed, viewServerPlan(p))
			}
		}

		other := describedFromSpec(fuzzServerSpec(awsBits, b), specBits, a)
		p1 := PlanServer(d, serverFromDescribed(&other), specChanged)
		p2 := PlanServer(d, serverFromDescribed(&other), specChanged)
		if diff := cmp.Diff(viewServerPlan(p1), viewServerPlan(p2)); diff != "" {
			t.Fatalf("PlanServer is not deterministic (-first +second):\n%s", diff)
		}
		for _, u := range [][2]ServerUpdate{{p1.Update, p2.Update}, {p1.OfflineUpdate, p2.OfflineUpdate}} {
			if diff := cmp.Diff(u[0].updateServerInput(testServerID), u[1].updateServerInput(testServerID), sdkOpts); diff != "" {
				t.Fatalf("PlanServer requests are not deterministic (-first +second):\n%s", diff)
			}
		}
		checkServerPlan(t, p1)
	})
}

// checkServerPlan fails t when p breaks a promise of ServerPlan: Changed sorted and complete,
// each update carrying exactly the fields it lists, OFFLINE-only fields only in OfflineUpdate,
// no Elastic IPs while Deferred, bookkeeping and AWS tags never removed.
func checkServerPlan(t *testing.T, p ServerPlan) {
	t.Helper()
	if !slices.IsSorted(p.Changed) || len(slices.Compact(slices.Clone(p.Changed))) != len(p.Changed) {
		t.Fatalf("Changed %v is not sorted and unique", p.Changed)
	}
	for _, f := range slices.Concat(p.Update.Fields, p.OfflineUpdate.Fields, p.Immutable) {
		if !slices.Contains(p.Changed, f) {
			t.Fatalf("field %s is planned but not in Changed %v", f, p.Changed)
		}
	}
	if tags := len(p.AddTags) > 0 || len(p.RemoveTags) > 0; tags != slices.Contains(p.Changed, "tags") {
		t.Fatalf("tags to change %v, but Changed %v", tags, p.Changed)
	}
	for _, k := range p.RemoveTags {
		if strings.HasPrefix(k, TagPrefix) || strings.HasPrefix(k, "aws:") {
			t.Fatalf("plan removes the reserved tag %q", k)
		}
	}
	for _, u := range []struct {
		name   string
		update ServerUpdate
	}{{"Update", p.Update}, {"OfflineUpdate", p.OfflineUpdate}} {
		in := u.update.updateServerInput(testServerID)
		sent := sentServerGroups(in)
		listed := map[string]bool{}
		for _, f := range u.update.Fields {
			g, _, _ := strings.Cut(f, ".")
			listed[g] = true
			if !sent[g] {
				t.Fatalf("%s lists %s but does not send it: %+v", u.name, f, in)
			}
		}
		for g := range sent {
			if !listed[g] && !(g == "endpointDetails" && listed["endpointType"]) {
				t.Fatalf("%s sends %s but lists only %v", u.name, g, u.update.Fields)
			}
		}
		if e := in.EndpointDetails; e != nil {
			if len(e.SecurityGroupIds) > 0 && in.EndpointType != types.EndpointTypeVpc {
				t.Fatalf("%s sends security groups without changing the endpoint type to VPC", u.name)
			}
			if len(e.AddressAllocationIds) > 0 && (p.Deferred || in.EndpointType != "" || e.SubnetIds != nil) {
				t.Fatalf("%s sends Elastic IPs with subnets, an endpoint type or while deferred: %+v", u.name, e)
			}
		}
		if u.name == "Update" && (in.IpAddressType != "" || in.EndpointType != "" || in.EndpointDetails != nil && in.EndpointDetails.AddressAllocationIds != nil) {
			t.Fatalf("the online update carries an OFFLINE-only field: %v", u.update.Fields)
		}
	}
}

// sentServerGroups returns the spec field groups an UpdateServer request sends.
func sentServerGroups(in *transfer.UpdateServerInput) map[string]bool {
	g := map[string]bool{}
	for name, sent := range map[string]bool{
		"protocols":                     in.Protocols != nil,
		"endpointType":                  in.EndpointType != "",
		"endpointDetails":               in.EndpointDetails != nil,
		"ipAddressType":                 in.IpAddressType != "",
		"identityProviderType":          in.IdentityProviderType != "",
		"identityProviderDetails":       in.IdentityProviderDetails != nil,
		"hostKeySecretRef":              in.HostKey != nil,
		"certificate":                   in.Certificate != nil,
		"loggingRole":                   in.LoggingRole != nil,
		"securityPolicyName":            in.SecurityPolicyName != nil,
		"preAuthenticationLoginBanner":  in.PreAuthenticationLoginBanner != nil,
		"postAuthenticationLoginBanner": in.PostAuthenticationLoginBanner != nil,
		"structuredLogDestinations":     in.StructuredLogDestinations != nil,
		"protocolDetails":               in.ProtocolDetails != nil,
		"s3StorageOptions":              in.S3StorageOptions != nil,
		"workflowDetails":               in.WorkflowDetails != nil,
	} {
		if sent {
			g[name] = true
		}
	}
	return g
}

// fuzzUserSpec builds a TransferUserSpec from fuzz input: each bit decides whether a field is
// set; keys come from five fixed key pairs, with comments from the input.
func fuzzUserSpec(bits []byte, a, policy string) *v1alpha1.TransferUserSpec {
	b, p := newBits(bits), newParts(a)
	s := &v1alpha1.TransferUserSpec{Role: testRole}
	if b.next() {
		s.Role = p.at(0)
	}
	if b.next() {
		s.HomeDirectoryType = b.pick("PATH", "LOGICAL", p.at(1))
	}
	withVariable := func(v string) string {
		if b.next() {
			return v + userNameVariable
		}
		return v
	}
	if b.next() {
		s.HomeDirectory = withVariable("/" + p.at(2))
	}
	if b.next() {
		for i, e := range p.list(3) {
			s.HomeDirectoryMappings = append(s.HomeDirectoryMappings, v1alpha1.HomeDirectoryMapEntry{
				Entry: withVariable("/" + e), Target: withVariable("/bucket/" + p.at(4+i)), Type: b.pick("", "FILE", "DIRECTORY"),
			})
		}
		if s.HomeDirectoryMappings == nil {
			s.HomeDirectoryMappings = []v1alpha1.HomeDirectoryMapEntry{{Entry: "/", Target: "/bucket"}}
		}
	}
	if b.next() {
		s.Policy = policy
	}
	if b.next() {
		s.PosixProfile = &v1alpha1.PosixProfile{UID: int64(b.small(3)), GID: int64(b.small(3))}
		for range b.small(4) {
			s.PosixProfile.SecondaryGIDs = append(s.PosixProfile.SecondaryGIDs, int64(b.small(4)))
		}
	}
	if b.next() {
		s.SSHPublicKeys = []v1alpha1.SSHPublicKey{}
		for i := range b.small(5) {
			s.SSHPublicKeys = append(s.SSHPublicKeys, v1alpha1.SSHPublicKey(sshKey(byte(b.small(5)), p.at(5+i))))
		}
	}
	if b.next() {
		s.Tags = v1alpha1.Tags{}
		for i, k := range p.list(10) {
			s.Tags["k"+k] = p.at(11 + i)
		}
	}
	return s
}

// describedUserFromSpec is the user AWS would describe once s is applied: the user name
// variable expanded, a default (PATH, DIRECTORY) reported or left out, the policy reformatted,
// lists reordered, keys without comments. Fields the spec leaves out, a mapping's type included,
// get values from noise.
func describedUserFromSpec(s *v1alpha1.TransferUserSpec, noise []byte, junk string) types.DescribedUser {
	n := newBits(noise)
	expand := func(v string) string {
		if n.next() {
			return strings.ReplaceAll(v, userNameVariable, testUserName)
		}
		return v
	}
	o := types.DescribedUser{Arn: aws.String(testUserARN), UserName: aws.String(testUserName), Role: aws.String(s.Role)}
	o.HomeDirectoryType = types.HomeDirectoryType(s.HomeDirectoryType)
	switch {
	case s.HomeDirectoryType == "" && n.next():
		o.HomeDirectoryType = types.HomeDirectoryType(junk)
	case s.HomeDirectoryType == defaultHomeDirectoryType && n.next():
		o.HomeDirectoryType = ""
	}
	switch {
	case s.HomeDirectory != "":
		o.HomeDirectory = aws.String(expand(s.HomeDirectory))
	case n.next():
		o.HomeDirectory = aws.String("/" + junk)
	}
	for _, m := range s.HomeDirectoryMappings {
		typ := m.Type
		switch {
		case typ == "":
			typ = n.pick("", defaultMapType, "FILE", junk)
		case typ == defaultMapType && n.next():
			typ = ""
		}
		o.HomeDirectoryMappings = append(o.HomeDirectoryMappings, types.HomeDirectoryMapEntry{
			Entry: aws.String(expand(m.Entry)), Target: aws.String(expand(m.Target)), Type: types.MapType(typ),
		})
	}
	if s.HomeDirectoryMappings == nil && n.next() {
		o.HomeDirectoryMappings = []types.HomeDirectoryMapEntry{{Entry: aws.String("/" + junk), Target: aws.String("/" + junk)}}
	}
	switch {
	case s.Policy != "":
		o.Policy = aws.String(s.Policy)
		var v any
		if json.Unmarshal([]byte(s.Policy), &v) == nil {
			if b, err := json.MarshalIndent(v, "", "\t"); err == nil {
				o.Policy = aws.String(string(b))
			}
		}
	case n.next():
		o.Policy = aws.String(junk)
	}
	if pp := s.PosixProfile; pp != nil {
		gids := slices.Clone(pp.SecondaryGIDs)
		slices.Reverse(gids)
		if len(gids) > 0 && n.next() {
			gids = append(gids, gids[0])
		}
		o.PosixProfile = &types.PosixProfile{Uid: aws.Int64(pp.UID), Gid: aws.Int64(pp.GID), SecondaryGids: gids}
	} else if n.next() {
		o.PosixProfile = &types.PosixProfile{Uid: aws.Int64(7), Gid: aws.Int64(7)}
	}
	keys := DesiredKeys(s)
	slices.Reverse(keys)
	for i, k := range keys {
		o.SshPublicKeys = append(o.SshPublicKeys, types.SshPublicKey{
			SshPublicKeyId: aws.String("key-" + string(rune('a'+i))), SshPublicKeyBody: aws.String(k.Material),
		})
	}
	if s.SSHPublicKeys == nil && n.next() {
		o.SshPublicKeys = append(o.SshPublicKeys, types.SshPublicKey{SshPublicKeyId: aws.String("key-z"), SshPublicKeyBody: aws.String(sshKey(9, ""))})
	}
	tags := mergeTags(s.Tags, userOwnerTags)
	if n.next() {
		tags["aws:"+junk] = junk
	}
	if s.Tags == nil && n.next() {
		tags["user-"+junk] = junk
	}
	o.Tags = tagsFromMap(tags)
	return o
}

// FuzzPlanUser checks that PlanUser never panics, is deterministic, finds a user that matches
// the spec in sync however AWS spells it, and plans consistent requests for any user.
func FuzzPlanUser(f *testing.F) {
	f.Add([]byte{}, []byte{}, "", "", `{}`)
	f.Add(bytes.Repeat([]byte{0xff}, 32), bytes.Repeat([]byte{0xff}, 32), "arn:aws:iam::1:role/r|LOGICAL|home|a,b|x|y", "z", policyCompact)
	f.Add([]byte{0xc0, 0x03}, []byte{0x55, 0x55}, "r|PATH|h", "j", `{"a": [1, 2.0, "x"], "b": {"c": null}}`)
	f.Fuzz(func(t *testing.T, specBits, awsBits []byte, a, b, policy string) {
		s := fuzzUserSpec(specBits, a, policy)
		d := DesiredUser{Spec: s, ServerID: testServerID, UserName: testUserName, OwnerTags: userOwnerTags}
		self := describedUserFromSpec(s, awsBits, b)
		if p := PlanUser(d, userFromDescribed(testServerID, &self)); !p.InSync() || !p.Update.IsEmpty() {
			t.Fatalf("user described from its own spec is not in sync: %+v", viewUserPlan(p))
		}

		other := describedUserFromSpec(fuzzUserSpec(awsBits, b, policy+b), specBits, a)
		observed := userFromDescribed(testServerID, &other)
		p1, p2 := PlanUser(d, observed), PlanUser(d, observed)
		if diff := cmp.Diff(viewUserPlan(p1), viewUserPlan(p2)); diff != "" {
			t.Fatalf("PlanUser is not deterministic (-first +second):\n%s", diff)
		}
		in1, in2 := p1.Update.updateUserInput(testServerID, testUserName), p2.Update.updateUserInput(testServerID, testUserName)
		if diff := cmp.Diff(in1, in2, sdkOpts); diff != "" {
			t.Fatalf("PlanUser requests are not deterministic (-first +second):\n%s", diff)
		}
		checkUserPlan(t, d, observed, p1)
	})
}

// checkUserPlan fails t when p breaks a promise of UserPlan: Changed sorted and complete, the
// request carrying exactly the listed fields, keys imported only when wanted and missing and
// deleted only when present and unwanted.
func checkUserPlan(t *testing.T, d DesiredUser, observed *User, p UserPlan) {
	t.Helper()
	if !slices.IsSorted(p.Changed) || len(slices.Compact(slices.Clone(p.Changed))) != len(p.Changed) {
		t.Fatalf("Changed %v is not sorted and unique", p.Changed)
	}
	for _, f := range p.Update.Fields {
		if !slices.Contains(p.Changed, f) {
			t.Fatalf("field %s is planned but not in Changed %v", f, p.Changed)
		}
	}
	if keys := len(p.ImportKeys) > 0 || len(p.DeleteKeys) > 0; keys != slices.Contains(p.Changed, "sshPublicKeys") {
		t.Fatalf("keys to change %v, but Changed %v", keys, p.Changed)
	}
	if tags := len(p.AddTags) > 0 || len(p.RemoveTags) > 0; tags != slices.Contains(p.Changed, "tags") {
		t.Fatalf("tags to change %v, but Changed %v", tags, p.Changed)
	}
	want := DesiredKeys(d.Spec)
	has := func(material string) bool {
		return slices.ContainsFunc(observed.Keys, func(k UserKey) bool { return k.Material == material })
	}
	for i, m := range p.ImportKeys {
		if !slices.ContainsFunc(want, func(k PublicKey) bool { return k.Material == m }) || has(m) || slices.Contains(p.ImportKeys[:i], m) {
			t.Fatalf("imports %q: not wanted, already there or repeated", m)
		}
	}
	for _, id := range p.DeleteKeys {
		i := slices.IndexFunc(observed.Keys, func(k UserKey) bool { return k.ID == id })
		if i < 0 || slices.ContainsFunc(want, func(k PublicKey) bool { return k.Material == observed.Keys[i].Material }) {
			t.Fatalf("deletes key %q: not there or wanted", id)
		}
	}
	in := p.Update.updateUserInput(testServerID, testUserName)
	for field, sent := range map[string]bool{
		"role":                  in.Role != nil,
		"homeDirectoryType":     in.HomeDirectoryType != "",
		"homeDirectory":         in.HomeDirectory != nil,
		"homeDirectoryMappings": in.HomeDirectoryMappings != nil,
		"policy":                in.Policy != nil,
		"posixProfile":          in.PosixProfile != nil,
	} {
		if listed := slices.Contains(p.Update.Fields, field); listed != sent {
			t.Fatalf("field %s listed %v but sent %v: %v", field, listed, sent, p.Update.Fields)
		}
	}
}

// FuzzParsePublicKey checks that ParsePublicKey never panics, and that what it returns is a
// canonical key: one line, a SHA256 fingerprint, and the same key when parsed again with or
// without a comment.
func FuzzParsePublicKey(f *testing.F) {
	f.Add(sshKey(1, "alice@laptop"))
	f.Add(`command="echo hi",no-pty ` + sshKey(2, ""))
	f.Add("ssh-ed25519 AAAA")
	f.Add("# comment\n" + sshKey(3, "x"))
	f.Fuzz(func(t *testing.T, line string) {
		pk, err := ParsePublicKey(line)
		if err != nil {
			return
		}
		if strings.ContainsAny(pk.Material, "\r\n") || !strings.HasPrefix(pk.Fingerprint, "SHA256:") || strings.Count(pk.Material, " ") != 1 {
			t.Fatalf("ParsePublicKey(%q) = %+v: not one line of type and body with a SHA256 fingerprint", line, pk)
		}
		for _, again := range []string{pk.Material, pk.Material + " a comment", " " + pk.Material + "\n"} {
			if got, err := ParsePublicKey(again); err != nil || got != pk {
				t.Fatalf("ParsePublicKey(%q) = %+v, %v; want %+v", again, got, err, pk)
			}
		}
	})
}

// hostKeyErrors are all the messages HostKeyFingerprint may fail with: fixed text and numbers,
// so that no error can carry the key.
var hostKeyErrors = regexp.MustCompile(`^(` + strings.Join([]string{
	regexp.QuoteMeta(errHostKeyFormat.Error()),
	regexp.QuoteMeta(errHostKeyPassphrase.Error()),
	regexp.QuoteMeta(errHostKeyType.Error()),
	`invalid host key: it is [0-9]+ characters long; AWS takes at most 4096`,
	`invalid host key: it is a [0-9]+-bit RSA key; AWS takes RSA keys of at least 2048 bits`,
	`invalid host key: it is an ECDSA key on P-[0-9]+; AWS takes ECDSA keys of 256, 384 or 521 bits`,
}, "|") + `)$`)

// FuzzHostKeyFingerprint checks that HostKeyFingerprint never panics, that every failure wraps
// ErrInvalidHostKey with one of the hostKeyErrors messages (so no error can carry the key), and
// that a success is a SHA256 fingerprint.
func FuzzHostKeyFingerprint(f *testing.F) {
	for _, k := range testHostKeys(f) {
		f.Add(string(k.private))
	}
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		f.Fatal(err)
	}
	if block, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("pw")); err == nil {
		f.Add(string(pem.EncodeToMemory(block)))
	}
	f.Add("")
	f.Fuzz(func(t *testing.T, key string) {
		fp, err := HostKeyFingerprint(Sensitive(key))
		if err != nil {
			if !errors.Is(err, ErrInvalidHostKey) || !hostKeyErrors.MatchString(err.Error()) || fp != "" {
				t.Fatalf("HostKeyFingerprint error = %q (fingerprint %q), want ErrInvalidHostKey with a known message", err, fp)
			}
			return
		}
		if !strings.HasPrefix(fp, "SHA256:") || len(fp) != len("SHA256:")+43 {
			t.Fatalf("HostKeyFingerprint = %q, want SHA256: and 43 base64 characters", fp)
		}
	})
}
