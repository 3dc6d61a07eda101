package emulator

import (
	"encoding/xml"
	"io"
	"net/http"
	"strings"
)

// XML answers of the EC2 query protocol, with the element names of the EC2 SDK's deserializers.

// renderEndpoint is an endpoint as DescribeVpcEndpoints answers it.
func (e *Emulator) renderEndpoint(rec VpcEndpointRecord) vpcEndpointItem {
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

// renderInterface is a network interface of endpoint ep as DescribeNetworkInterfaces answers it.
func (e *Emulator) renderInterface(ni *NetworkInterfaceRecord, ep VpcEndpointRecord) networkInterfaceItem {
	item := networkInterfaceItem{
		ID: ni.NetworkInterfaceID, SubnetID: ni.SubnetID, VpcID: ep.VpcID, AvailabilityZone: ni.AvailabilityZone,
		Description: "VPC Endpoint Interface " + ni.VpcEndpointID, InterfaceType: "vpc_endpoint", Status: "in-use",
		PrivateIPAddress: ni.PrivateIPAddress, RequesterManaged: true, OwnerID: e.accountID,
		PrivateIPs: []privateIPItem{{Address: ni.PrivateIPAddress, Primary: true}},
		Groups:     groupItems(ep.SecurityGroupIDs, ep.VpcID),
	}
	if ni.PublicIP != "" {
		item.Association = &interfaceAssociation{PublicIP: ni.PublicIP, AllocationID: ni.AllocationID, IPOwnerID: "amazon"}
	}
	return item
}

// groupItems are security groups as EC2 answers them; a VPC's default group is named "default".
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
