package emulator

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The EC2 subset the emulator serves: the VPC endpoints AWS Transfer creates for VPC servers and
// their network interfaces, over EC2's own wire protocol (the ec2 query protocol: a form-encoded
// POST of Action=...&Version=2016-11-15, answered in XML in the EC2 namespace, errors as
// <Response><Errors><Error>). It shares the listener with Transfer; requests are told apart by
// the service their SigV4 credential scope names, or, unsigned, by their form-encoded body.

const (
	// ec2SigningName is the service an EC2 request's credential scope names.
	ec2SigningName = "ec2"
	// ec2APIVersion is the one EC2 API version, and the namespace of its XML answers.
	ec2APIVersion   = "2016-11-15"
	ec2XMLNamespace = "http://ec2.amazonaws.com/doc/2016-11-15/"
	formContentType = "application/x-www-form-urlencoded"
)

// VPC endpoint states as EC2 reports them (lowercase, unlike the SDK enum; see
// internal/transfer/vpcendpoint.go).
const (
	VpcEndpointPending   = "pending"
	VpcEndpointAvailable = "available"
)

// VpcEndpointRecord is a VPC endpoint as the emulator stores it.
type VpcEndpointRecord struct {
	VpcEndpointID       string   `json:"VpcEndpointId"`
	VpcID               string   `json:"VpcId"`
	ServiceName         string   `json:"ServiceName"`
	State               string   `json:"State"`
	SubnetIDs           []string `json:"SubnetIds,omitempty"`
	SecurityGroupIDs    []string `json:"SecurityGroupIds,omitempty"`
	NetworkInterfaceIDs []string `json:"NetworkInterfaceIds,omitempty"`
	DNSNames            []string `json:"DnsNames,omitempty"`
	// ServerID is the VPC server AWS Transfer created the endpoint for, and deletes it with;
	// empty for an endpoint a VPC_ENDPOINT server names.
	ServerID  string `json:"ServerId,omitempty"`
	CreatedAt time.Time
}

// NetworkInterfaceRecord is one network interface of a VPC endpoint, in one of its subnets.
type NetworkInterfaceRecord struct {
	NetworkInterfaceID string `json:"NetworkInterfaceId"`
	VpcEndpointID      string `json:"VpcEndpointId"`
	SubnetID           string `json:"SubnetId"`
	AvailabilityZone   string `json:"AvailabilityZone"`
	PrivateIPAddress   string `json:"PrivateIpAddress"`
	// AllocationID and PublicIP are the Elastic IP AWS Transfer associates for an
	// internet-facing server (EndpointDetails.AddressAllocationIds, one for each subnet).
	AllocationID string `json:"AllocationId,omitempty"`
	PublicIP     string `json:"PublicIp,omitempty"`
}

func (r VpcEndpointRecord) clone() VpcEndpointRecord {
	c := r
	c.SubnetIDs = slices.Clone(r.SubnetIDs)
	c.SecurityGroupIDs = slices.Clone(r.SecurityGroupIDs)
	c.NetworkInterfaceIDs = slices.Clone(r.NetworkInterfaceIDs)
	c.DNSNames = slices.Clone(r.DNSNames)
	return c
}

// vpcEndpointState is an endpoint and when a pending change completes.
type vpcEndpointState struct {
	rec         VpcEndpointRecord
	availableAt time.Time
}

// ec2Operation is one implemented EC2 action.
type ec2Operation struct {
	// params are the parameters the action takes, by name or, for lists, by the prefix before
	// ".N"; unsupported are those EC2 takes that the emulator does not implement.
	params, unsupported []string
	run                 func(e *Emulator, region string, form url.Values) (any, error)
}

var ec2Operations = map[string]ec2Operation{
	"DescribeVpcEndpoints": {
		params: []string{"VpcEndpointId", "Filter", "MaxResults", "NextToken", "DryRun"},
		run:    (*Emulator).describeVpcEndpoints,
	},
	"ModifyVpcEndpoint": {
		params: []string{"VpcEndpointId", "AddSecurityGroupId", "RemoveSecurityGroupId", "DryRun"},
		unsupported: []string{"AddRouteTableId", "RemoveRouteTableId", "AddSubnetId", "RemoveSubnetId", "DnsOptions",
			"IpAddressType", "PolicyDocument", "PrivateDnsEnabled", "ResetPolicy", "SubnetConfiguration"},
		run: (*Emulator).modifyVpcEndpoint,
	},
	"DescribeNetworkInterfaces": {
		params: []string{"NetworkInterfaceId", "Filter", "MaxResults", "NextToken", "DryRun", "IncludeManagedResources"},
		run:    (*Emulator).describeNetworkInterfaces,
	},
}

// isEC2Request reports whether r is addressed to EC2: signed for the ec2 service, or unsigned
// with a form-encoded body and no Transfer target.
func isEC2Request(r *http.Request) bool {
	if a, ok := parseSigV4(r.Header.Get("Authorization")); ok {
		return a.service == ec2SigningName
	}
	return r.Header.Get("X-Amz-Target") == "" && strings.HasPrefix(r.Header.Get("Content-Type"), formContentType)
}

// serveEC2 answers one EC2 query request, in the account of its signing credentials, with the
// same fault injection and call records as the Transfer operations.
func (e *Emulator) serveEC2(w http.ResponseWriter, r *http.Request) {
	reqID := e.requestID()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		e.answerEC2Error(w, reqID, "", "", queryErr(http.StatusBadRequest, "InvalidParameterValue", "cannot read request body: "+err.Error()))
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		e.answerEC2Error(w, reqID, "", "", queryErr(http.StatusBadRequest, "InvalidParameterValue", "the request body is not form-encoded: "+err.Error()))
		return
	}
	action := form.Get("Action")
	caller, aerr := e.authenticate(r, body, ec2SigningName)
	if aerr != nil {
		e.answerEC2Error(w, reqID, "", action, ec2AuthError(aerr))
		return
	}
	account := caller.account
	if aerr := checkEC2Request(r, form); aerr != nil {
		e.answerEC2Error(w, reqID, account, action, aerr)
		return
	}
	d := dialect{
		answerError: func(w http.ResponseWriter, account, action string, aerr *apiError) {
			e.answerEC2Error(w, reqID, account, action, aerr)
		},
		injected: ec2Injected,
		internal: func(msg string) *apiError { return queryErr(http.StatusInternalServerError, "InternalError", msg) },
	}
	out, ok := e.runFaulted(w, r, account, action, d, func() (any, error) {
		if form.Get("DryRun") == "true" {
			// EC2 API reference, DryRun: "If you have the required permissions, the error
			// response is DryRunOperation."
			return nil, queryErr(http.StatusPreconditionFailed, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
		}
		return ec2Operations[action].run(e.account(account), requestRegion(r), form)
	})
	if !ok {
		return
	}
	writeXML(w, http.StatusOK, out, reqID)
}

// checkEC2Request checks the method, the action, the version and the parameter names, as EC2's
// front end does (EC2 API reference, "Common client error codes": InvalidAction, MissingAction,
// MissingParameter, UnknownParameter).
func checkEC2Request(r *http.Request, form url.Values) *apiError {
	action := form.Get("Action")
	switch {
	case r.Method != http.MethodPost:
		return queryErr(http.StatusBadRequest, "InvalidAction", "only POST / is served")
	case action == "":
		return queryErr(http.StatusBadRequest, "MissingAction", "The request must contain the parameter Action")
	case form.Get("Version") == "":
		return queryErr(http.StatusBadRequest, "MissingParameter", "The request must contain the parameter Version")
	case form.Get("Version") != ec2APIVersion:
		return queryErr(http.StatusBadRequest, "InvalidParameterValue", fmt.Sprintf("Invalid Version %q: the emulator serves %s", form.Get("Version"), ec2APIVersion))
	}
	op, ok := ec2Operations[action]
	if !ok {
		return queryErr(http.StatusBadRequest, "InvalidAction", fmt.Sprintf("The action %s is not valid for this web service.", action))
	}
	for key := range form {
		if key == "Action" || key == "Version" {
			continue
		}
		name, _, _ := strings.Cut(key, ".")
		switch {
		case slices.Contains(op.params, name):
		case slices.Contains(op.unsupported, name):
			return queryErr(http.StatusBadRequest, "UnsupportedOperation", fmt.Sprintf("the emulator does not implement the %s parameter %s", action, name))
		default:
			return queryErr(http.StatusBadRequest, "UnknownParameter", fmt.Sprintf("The parameter %s is not recognized", key))
		}
	}
	return nil
}

// listParam returns the members name.1, name.2, ... of a query list, in order, stopping at the
// first gap as the ec2 query protocol numbers them from 1 without gaps.
func listParam(form url.Values, name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := form[name+"."+strconv.Itoa(i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

// ec2Filter is one Filter.N of a Describe request.
type ec2Filter struct {
	name   string
	values []string
}

// filterParam returns the filters of a Describe request and refuses a name not in known.
func filterParam(form url.Values, known ...string) ([]ec2Filter, *apiError) {
	var out []ec2Filter
	for i := 1; ; i++ {
		prefix := "Filter." + strconv.Itoa(i)
		name, ok := form[prefix+".Name"]
		if !ok {
			return out, nil
		}
		if !slices.Contains(known, name[0]) {
			return nil, queryErr(http.StatusBadRequest, "InvalidParameterValue", fmt.Sprintf("The filter '%s' is invalid", name[0]))
		}
		out = append(out, ec2Filter{name: name[0], values: listParam(form, prefix+".Value")})
	}
}

// matches reports whether every filter holds one of its values in field.
func matches(filters []ec2Filter, field func(name string) []string) bool {
	for _, f := range filters {
		if !slices.ContainsFunc(field(f.name), func(v string) bool { return slices.Contains(f.values, v) }) {
			return false
		}
	}
	return true
}

var (
	vpceIDRE     = regexp.MustCompile(`^vpce-[0-9a-f]{8,17}$`)
	sgIDRE       = regexp.MustCompile(`^sg-[0-9a-f]{8,17}$`)
	eniIDRE      = regexp.MustCompile(`^eni-[0-9a-f]{8,17}$`)
	maxResultsRE = regexp.MustCompile(`^[0-9]+$`)
)

// checkMaxResults checks MaxResults as DescribeVpcEndpoints and DescribeNetworkInterfaces
// document it (5 to 1000); the emulator answers every result in one page.
func checkMaxResults(form url.Values) *apiError {
	v, ok := form["MaxResults"]
	if !ok {
		return nil
	}
	n, err := strconv.Atoi(v[0])
	if !maxResultsRE.MatchString(v[0]) || err != nil || n < 5 || n > 1000 {
		return queryErr(http.StatusBadRequest, "InvalidParameterValue", fmt.Sprintf("Value ( %s ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.", v[0]))
	}
	return nil
}

func vpceNotFound(id string) *apiError {
	return queryErr(http.StatusBadRequest, "InvalidVpcEndpointId.NotFound", fmt.Sprintf("The Vpc Endpoint Id '%s' does not exist", id))
}

func vpceMalformed(id string) *apiError {
	return queryErr(http.StatusBadRequest, "InvalidVpcEndpointId.Malformed", fmt.Sprintf("Invalid Id: '%s' (expecting 'vpce-...')", id))
}

// describeVpcEndpoints: the endpoints named by VpcEndpointId.N (every one must exist), or all,
// narrowed by the filters vpc-endpoint-id, vpc-id, vpc-endpoint-state and service-name.
func (e *Emulator) describeVpcEndpoints(regionName string, form url.Values) (any, error) {
	filters, aerr := filterParam(form, "vpc-endpoint-id", "vpc-id", "vpc-endpoint-state", "service-name")
	if aerr != nil {
		return nil, aerr
	}
	if aerr := checkMaxResults(form); aerr != nil {
		return nil, aerr
	}
	ids := listParam(form, "VpcEndpointId")
	for _, id := range ids {
		if !vpceIDRE.MatchString(id) {
			return nil, vpceMalformed(id)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.regionLocked(regionName)
	if len(ids) == 0 {
		ids = r.sortedEndpointIDs()
	}
	out := describeVpcEndpointsResponse{}
	for _, id := range ids {
		ep := r.endpoints[id]
		if ep == nil {
			return nil, vpceNotFound(id)
		}
		e.settleEndpointLocked(ep)
		rec := ep.rec
		if !matches(filters, func(name string) []string {
			return map[string][]string{"vpc-endpoint-id": {rec.VpcEndpointID}, "vpc-id": {rec.VpcID}, "vpc-endpoint-state": {rec.State}, "service-name": {rec.ServiceName}}[name]
		}) {
			continue
		}
		out.Endpoints = append(out.Endpoints, e.renderEndpointLocked(r, rec))
	}
	return out, nil
}

// modifyVpcEndpoint changes an endpoint's security groups (the one change the emulator
// implements) and puts it in pending for the transition delay, as a change to a PrivateLink
// interface endpoint does. AWS documents no answer for a change sent while the endpoint is still
// pending; the emulator refuses it with IncorrectState, EC2's code for a resource in the wrong
// state, so that a client that does not wait for available is caught.
func (e *Emulator) modifyVpcEndpoint(regionName string, form url.Values) (any, error) {
	id := form.Get("VpcEndpointId")
	if id == "" {
		return nil, queryErr(http.StatusBadRequest, "MissingParameter", "The request must contain the parameter VpcEndpointId")
	}
	if !vpceIDRE.MatchString(id) {
		return nil, vpceMalformed(id)
	}
	add, remove := listParam(form, "AddSecurityGroupId"), listParam(form, "RemoveSecurityGroupId")
	for _, g := range slices.Concat(add, remove) {
		if !sgIDRE.MatchString(g) {
			return nil, queryErr(http.StatusBadRequest, "InvalidGroupId.Malformed", fmt.Sprintf("Invalid id: \"%s\" (expecting \"sg-...\")", g))
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.regionLocked(regionName)
	ep := r.endpoints[id]
	if ep == nil {
		return nil, vpceNotFound(id)
	}
	e.settleEndpointLocked(ep)
	if ep.rec.State != VpcEndpointAvailable {
		return nil, queryErr(http.StatusBadRequest, "IncorrectState", fmt.Sprintf("The Vpc Endpoint '%s' is in state %s and cannot be modified until it is available", id, ep.rec.State))
	}
	groups := slices.DeleteFunc(slices.Clone(ep.rec.SecurityGroupIDs), func(g string) bool { return slices.Contains(remove, g) })
	for _, g := range add {
		if !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	slices.Sort(groups)
	ep.rec.SecurityGroupIDs = groups
	if s, ok := r.servers.lookup(ep.rec.ServerID); ok {
		s.rec.EndpointDetails.SecurityGroupIDs = slices.Clone(groups)
	}
	e.beginEndpointChangeLocked(ep)
	return modifyVpcEndpointResponse{Return: true}, nil
}

// describeNetworkInterfaces: the interfaces named by NetworkInterfaceId.N (every one must exist),
// or all, narrowed by the filters network-interface-id, subnet-id and vpc-id.
func (e *Emulator) describeNetworkInterfaces(regionName string, form url.Values) (any, error) {
	filters, aerr := filterParam(form, "network-interface-id", "subnet-id", "vpc-id")
	if aerr != nil {
		return nil, aerr
	}
	if aerr := checkMaxResults(form); aerr != nil {
		return nil, aerr
	}
	ids := listParam(form, "NetworkInterfaceId")
	for _, id := range ids {
		if !eniIDRE.MatchString(id) {
			return nil, queryErr(http.StatusBadRequest, "InvalidNetworkInterfaceID.Malformed", fmt.Sprintf("Invalid id: \"%s\" (expecting \"eni-...\")", id))
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.regionLocked(regionName)
	if len(ids) == 0 {
		ids = r.sortedInterfaceIDs()
	}
	out := describeNetworkInterfacesResponse{}
	for _, id := range ids {
		ni := r.interfaces[id]
		if ni == nil {
			return nil, queryErr(http.StatusBadRequest, "InvalidNetworkInterfaceID.NotFound", fmt.Sprintf("The networkInterface ID '%s' does not exist", id))
		}
		ep := r.endpoints[ni.VpcEndpointID]
		vpcID := ep.rec.VpcID
		if !matches(filters, func(name string) []string {
			return map[string][]string{"network-interface-id": {ni.NetworkInterfaceID}, "subnet-id": {ni.SubnetID}, "vpc-id": {vpcID}}[name]
		}) {
			continue
		}
		item := networkInterfaceItem{
			ID: ni.NetworkInterfaceID, SubnetID: ni.SubnetID, VpcID: vpcID, AvailabilityZone: ni.AvailabilityZone,
			Description: "VPC Endpoint Interface " + ni.VpcEndpointID, InterfaceType: "vpc_endpoint", Status: "in-use",
			PrivateIPAddress: ni.PrivateIPAddress, RequesterManaged: true, OwnerID: e.accountID,
			PrivateIPs: []privateIPItem{{Address: ni.PrivateIPAddress, Primary: true}},
			Groups:     groupItems(ep.rec.SecurityGroupIDs, ep.rec.VpcID),
		}
		if ni.PublicIP != "" {
			item.Association = &interfaceAssociation{PublicIP: ni.PublicIP, AllocationID: ni.AllocationID, IPOwnerID: "amazon"}
		}
		out.Interfaces = append(out.Interfaces, item)
	}
	return out, nil
}

// syncEndpointLocked keeps the EC2 side of a server in step with its record: a VPC server has
// an endpoint of its own in its subnets, with one network interface in each subnet and the
// Elastic IPs of AddressAllocationIds associated in order; the endpoint of a VPC server that is
// no longer one (or is deleted, rec nil) is deleted with its interfaces. A VPC_ENDPOINT server's
// endpoint belongs to its owner, who made it with EC2: the emulator, which has no
// CreateVpcEndpoint, makes it appear when a server first names it, available and in one subnet,
// and never deletes it. e.mu must be held.
func (e *Emulator) syncEndpointLocked(regionName string, old, rec *ServerRecord) {
	r := e.regionLocked(regionName)
	if old != nil && old.EndpointType == endpointVPC && (rec == nil || rec.EndpointType != endpointVPC || rec.EndpointDetails.VpcEndpointID != old.EndpointDetails.VpcEndpointID) {
		r.deleteEndpoint(old.EndpointDetails.VpcEndpointID)
	}
	if rec == nil {
		return
	}
	id := rec.EndpointDetails.VpcEndpointID
	switch {
	case rec.EndpointType == endpointVPCEndpoint && id != "" && r.endpoints[id] == nil:
		ep := e.newEndpointLocked(regionName, id, "", "vpc-"+e.randomHex(17), nil)
		ep.rec.State = VpcEndpointAvailable
		r.endpoints[id] = ep
		e.syncInterfacesLocked(r, regionName, ep, []string{"subnet-" + e.randomHex(17)}, nil)
	case rec.EndpointType == endpointVPC && id != "":
		ep := r.endpoints[id]
		if ep == nil {
			ep = e.newEndpointLocked(regionName, id, rec.ServerID, rec.EndpointDetails.VpcID, rec.EndpointDetails.SecurityGroupIDs)
			r.endpoints[id] = ep
		}
		e.syncInterfacesLocked(r, regionName, ep, rec.EndpointDetails.SubnetIDs, rec.EndpointDetails.AddressAllocationIDs)
	}
}

// newEndpointLocked makes a pending interface endpoint. Without security groups it gets the
// VPC's default group (Terraform's aws_transfer_server, security_group_ids: "If no security
// groups are specified, the VPC's default security groups are automatically assigned to your
// endpoint"). Its regional DNS name has the PrivateLink form
// vpce-ID-SUFFIX.vpce-svc-SERVICE.REGION.vpce.DNS-SUFFIX; e.mu must be held.
func (e *Emulator) newEndpointLocked(regionName, id, serverID, vpcID string, groups []string) *vpcEndpointState {
	if len(groups) == 0 {
		groups = []string{defaultSecurityGroup(vpcID)}
	}
	groups = slices.Clone(groups)
	slices.Sort(groups)
	svc := "vpce-svc-" + e.randomHex(17)
	ep := &vpcEndpointState{rec: VpcEndpointRecord{
		VpcEndpointID:    id,
		VpcID:            vpcID,
		ServiceName:      "com.amazonaws.vpce." + regionName + "." + svc,
		SecurityGroupIDs: groups,
		DNSNames:         []string{fmt.Sprintf("%s-%s.%s.%s.vpce.%s", id, e.randomHex(8), svc, regionName, dnsSuffix(regionName))},
		ServerID:         serverID,
		CreatedAt:        e.clock.Now().UTC(),
	}}
	e.beginEndpointChangeLocked(ep)
	return ep
}

// syncInterfacesLocked gives ep one network interface in each of subnets, keeping those of
// subnets it has, and associates allocations[i] with the interface of subnets[i]. Each interface
// adds a zonal DNS name after the regional one. e.mu must be held.
func (e *Emulator) syncInterfacesLocked(r *region, regionName string, ep *vpcEndpointState, subnets, allocations []string) {
	bySubnet := map[string]*NetworkInterfaceRecord{}
	for _, id := range ep.rec.NetworkInterfaceIDs {
		ni := r.interfaces[id]
		if slices.Contains(subnets, ni.SubnetID) {
			bySubnet[ni.SubnetID] = ni
		} else {
			delete(r.interfaces, id)
		}
	}
	regional := ep.rec.DNSNames[0]
	ep.rec.SubnetIDs, ep.rec.NetworkInterfaceIDs, ep.rec.DNSNames = slices.Clone(subnets), nil, []string{regional}
	for i, subnet := range subnets {
		ni := bySubnet[subnet]
		if ni == nil {
			ni = &NetworkInterfaceRecord{
				NetworkInterfaceID: "eni-" + e.randomHex(17),
				VpcEndpointID:      ep.rec.VpcEndpointID,
				SubnetID:           subnet,
				AvailabilityZone:   regionName + string(rune('a'+i%6)),
				PrivateIPAddress:   fmt.Sprintf("10.%d.%d.%d", e.rng.IntN(256), e.rng.IntN(256), 4+e.rng.IntN(250)),
			}
			r.interfaces[ni.NetworkInterfaceID] = ni
		}
		ni.AllocationID, ni.PublicIP = "", ""
		if i < len(allocations) {
			ni.AllocationID, ni.PublicIP = allocations[i], elasticIP(allocations[i])
		}
		ep.rec.NetworkInterfaceIDs = append(ep.rec.NetworkInterfaceIDs, ni.NetworkInterfaceID)
		vpce, rest, _ := strings.Cut(regional, ".")
		ep.rec.DNSNames = append(ep.rec.DNSNames, vpce+"-"+ni.AvailabilityZone+"."+rest)
	}
}

// deleteEndpoint removes an endpoint and its network interfaces.
func (r *region) deleteEndpoint(id string) {
	ep := r.endpoints[id]
	if ep == nil {
		return
	}
	for _, ni := range ep.rec.NetworkInterfaceIDs {
		delete(r.interfaces, ni)
	}
	delete(r.endpoints, id)
}

// beginEndpointChangeLocked puts an endpoint in pending for the emulator's transition delay.
func (e *Emulator) beginEndpointChangeLocked(ep *vpcEndpointState) {
	ep.rec.State = VpcEndpointPending
	ep.availableAt = e.clock.Now().Add(e.delay)
}

// settleEndpointLocked completes a pending change whose time has come, lazily like server
// transitions.
func (e *Emulator) settleEndpointLocked(ep *vpcEndpointState) {
	if ep.rec.State == VpcEndpointPending && !e.clock.Now().Before(ep.availableAt) {
		ep.rec.State = VpcEndpointAvailable
	}
}

func (r *region) sortedEndpointIDs() []string {
	ids := make([]string, 0, len(r.endpoints))
	for id := range r.endpoints {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (r *region) sortedInterfaceIDs() []string {
	ids := make([]string, 0, len(r.interfaces))
	for id := range r.interfaces {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// defaultSecurityGroup is the ID of a VPC's default security group, the same for every call.
func defaultSecurityGroup(vpcID string) string {
	sum := sha256.Sum256([]byte("default-security-group/" + vpcID))
	return "sg-" + hex.EncodeToString(sum[:])[:17]
}

// elasticIP is the public address of an Elastic IP allocation, the same for every call, in the
// documentation range 203.0.113.0/24.
func elasticIP(allocationID string) string {
	sum := sha256.Sum256([]byte(allocationID))
	return fmt.Sprintf("203.0.113.%d", 1+int(sum[0])%254)
}

// dnsSuffix is the DNS suffix of a region's partition (the partitions of partition()).
func dnsSuffix(regionName string) string {
	if partition(regionName) == "aws-cn" {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

func (e *Emulator) renderEndpointLocked(r *region, rec VpcEndpointRecord) vpcEndpointItem {
	item := vpcEndpointItem{
		ID: rec.VpcEndpointID, Type: "Interface", VpcID: rec.VpcID, ServiceName: rec.ServiceName, State: rec.State,
		SubnetIDs: rec.SubnetIDs, Groups: groupItems(rec.SecurityGroupIDs, rec.VpcID), IPAddressType: "ipv4",
		RequesterManaged: rec.ServerID != "", NetworkInterfaceIDs: rec.NetworkInterfaceIDs,
		CreationTimestamp: rec.CreatedAt.Format("2006-01-02T15:04:05.000Z"), OwnerID: e.accountID,
	}
	for _, name := range rec.DNSNames {
		item.DNSEntries = append(item.DNSEntries, dnsEntryItem{Name: name, HostedZoneID: "Z7HUB22UULQXV"})
	}
	return item
}

func groupItems(ids []string, vpcID string) []groupItem {
	var out []groupItem
	for _, id := range ids {
		g := groupItem{ID: id}
		if id == defaultSecurityGroup(vpcID) {
			g.Name = "default"
		}
		out = append(out, g)
	}
	return out
}

// XML answers, with the element names of the EC2 SDK's deserializers.

type describeVpcEndpointsResponse struct {
	XMLName   xml.Name          `xml:"DescribeVpcEndpointsResponse"`
	Endpoints []vpcEndpointItem `xml:"vpcEndpointSet>item"`
}

type vpcEndpointItem struct {
	ID                  string         `xml:"vpcEndpointId"`
	Type                string         `xml:"vpcEndpointType"`
	VpcID               string         `xml:"vpcId"`
	ServiceName         string         `xml:"serviceName"`
	State               string         `xml:"state"`
	SubnetIDs           []string       `xml:"subnetIdSet>item"`
	Groups              []groupItem    `xml:"groupSet>item"`
	IPAddressType       string         `xml:"ipAddressType"`
	PrivateDNSEnabled   bool           `xml:"privateDnsEnabled"`
	RequesterManaged    bool           `xml:"requesterManaged"`
	NetworkInterfaceIDs []string       `xml:"networkInterfaceIdSet>item"`
	DNSEntries          []dnsEntryItem `xml:"dnsEntrySet>item"`
	CreationTimestamp   string         `xml:"creationTimestamp"`
	OwnerID             string         `xml:"ownerId"`
}

type groupItem struct {
	ID   string `xml:"groupId"`
	Name string `xml:"groupName,omitempty"`
}

type dnsEntryItem struct {
	Name         string `xml:"dnsName"`
	HostedZoneID string `xml:"hostedZoneId"`
}

type modifyVpcEndpointResponse struct {
	XMLName xml.Name `xml:"ModifyVpcEndpointResponse"`
	Return  bool     `xml:"return"`
}

type describeNetworkInterfacesResponse struct {
	XMLName    xml.Name               `xml:"DescribeNetworkInterfacesResponse"`
	Interfaces []networkInterfaceItem `xml:"networkInterfaceSet>item"`
}

type networkInterfaceItem struct {
	ID               string                `xml:"networkInterfaceId"`
	SubnetID         string                `xml:"subnetId"`
	VpcID            string                `xml:"vpcId"`
	AvailabilityZone string                `xml:"availabilityZone"`
	Description      string                `xml:"description"`
	OwnerID          string                `xml:"ownerId"`
	RequesterManaged bool                  `xml:"requesterManaged"`
	Status           string                `xml:"status"`
	InterfaceType    string                `xml:"interfaceType"`
	PrivateIPAddress string                `xml:"privateIpAddress"`
	PrivateIPs       []privateIPItem       `xml:"privateIpAddressesSet>item"`
	Association      *interfaceAssociation `xml:"association,omitempty"`
	Groups           []groupItem           `xml:"groupSet>item"`
}

type privateIPItem struct {
	Address string `xml:"privateIpAddress"`
	Primary bool   `xml:"primary"`
}

type interfaceAssociation struct {
	PublicIP     string `xml:"publicIp"`
	AllocationID string `xml:"allocationId"`
	IPOwnerID    string `xml:"ipOwnerId"`
}

type ec2ErrorResponse struct {
	XMLName   xml.Name       `xml:"Response"`
	Errors    []ec2ErrorItem `xml:"Errors>Error"`
	RequestID string         `xml:"RequestID"`
}

type ec2ErrorItem struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// writeXML writes an EC2 answer: the document v, in the EC2 namespace, with its requestId.
func writeXML(w http.ResponseWriter, status int, v any, reqID string) {
	body, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	// Every answer document is <NameResponse>...</NameResponse>: add the namespace and the
	// request ID, which EC2 puts first.
	open := strings.Index(string(body), ">")
	doc := string(body[:open]) + ` xmlns="` + ec2XMLNamespace + `"><requestId>` + reqID + `</requestId>` + string(body[open+1:])
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, xml.Header+doc)
}

// answerEC2Error answers an EC2 call served in account ("" when its credentials were refused)
// with aerr.
func (e *Emulator) answerEC2Error(w http.ResponseWriter, reqID, account, action string, aerr *apiError) {
	e.calls.record(account, action, aerr.Code)
	body, _ := xml.Marshal(ec2ErrorResponse{Errors: []ec2ErrorItem{{Code: aerr.Code, Message: aerr.Message}}, RequestID: reqID})
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(aerr.Status)
	_, _ = io.WriteString(w, xml.Header+string(body))
}

// ec2AuthError is the EC2 form of a signature check's answer (EC2 API reference, "Common client
// error codes": AuthFailure, SignatureDoesNotMatch, IncompleteSignature,
// MissingAuthenticationToken, RequestExpired). Expired temporary credentials are RequestExpired,
// the one code of the SDK's expired-credentials codes that is EC2's (aws-sdk-go
// aws/request/retryer.go, credsExpiredCodes: ExpiredToken, ExpiredTokenException and
// RequestExpired, "EC2 Only").
func ec2AuthError(aerr *apiError) *apiError {
	if aerr.Code == CodeExpiredToken {
		return queryErr(http.StatusBadRequest, "RequestExpired", aerr.Message)
	}
	code := map[string]string{
		CodeMissingAuthentication: "MissingAuthenticationToken",
		CodeIncompleteSignature:   "IncompleteSignature",
		CodeUnrecognizedClient:    "AuthFailure",
		CodeInvalidSignature:      "SignatureDoesNotMatch",
	}[aerr.Code]
	if strings.HasPrefix(aerr.Message, "Signature expired") {
		code = "RequestExpired"
	}
	status := http.StatusUnauthorized
	if code == "IncompleteSignature" || code == "MissingAuthenticationToken" {
		status = http.StatusBadRequest
	}
	return queryErr(status, cmp.Or(code, "AuthFailure"), aerr.Message)
}

// ec2Injected is the EC2 form of an injected failure: RequestLimitExceeded for throttling,
// Unavailable, InternalError and UnauthorizedOperation (EC2 API reference, "Error codes").
func ec2Injected(aerr *apiError) *apiError {
	switch aerr.Code {
	case CodeThrottling:
		return queryErr(http.StatusServiceUnavailable, "RequestLimitExceeded", "Request limit exceeded.")
	case CodeServiceUnavailable:
		return queryErr(http.StatusServiceUnavailable, "Unavailable", "The server is overloaded and can't handle the request.")
	case CodeAccessDenied:
		return queryErr(http.StatusForbidden, "UnauthorizedOperation", "You are not authorized to perform this operation.")
	default:
		return queryErr(http.StatusInternalServerError, "InternalError", "An internal error has occurred.")
	}
}
