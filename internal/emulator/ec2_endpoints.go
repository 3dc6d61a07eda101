package emulator

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The EC2 side of VPC servers, as records and rules: the VPC endpoints AWS Transfer creates for
// VPC servers (and those VPC_ENDPOINT servers name), their network interfaces, how they follow
// the servers, and the actions DescribeVpcEndpoints, ModifyVpcEndpoint and
// DescribeNetworkInterfaces. The query protocol is in ec2_query.go, the XML answers in
// ec2_xml.go.

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

var (
	vpceIDRE = regexp.MustCompile(`^vpce-[0-9a-f]{8,17}$`)
	sgIDRE   = regexp.MustCompile(`^sg-[0-9a-f]{8,17}$`)
	eniIDRE  = regexp.MustCompile(`^eni-[0-9a-f]{8,17}$`)
)

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
		out.Endpoints = append(out.Endpoints, e.renderEndpoint(rec))
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
		out.Interfaces = append(out.Interfaces, e.renderInterface(ni, ep.rec))
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
