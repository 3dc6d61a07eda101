package transfer

import (
	stdcmp "cmp"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"
	"github.com/google/go-cmp/cmp"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

// serverPlanView is a ServerPlan without its requests, for comparison.
type serverPlanView struct {
	Changed       []string
	Immutable     []string
	Update        []string
	OfflineUpdate []string
	Deferred      bool
	AddTags       map[string]string
	RemoveTags    []string
}

func viewServerPlan(p ServerPlan) serverPlanView {
	return serverPlanView{
		Changed:       p.Changed,
		Immutable:     p.Immutable,
		Update:        p.Update.Fields,
		OfflineUpdate: p.OfflineUpdate.Fields,
		Deferred:      p.Deferred,
		AddTags:       p.AddTags,
		RemoveTags:    p.RemoveTags,
	}
}

var (
	subnets12 = []string{"subnet-1", "subnet-2"}
	subnets34 = []string{"subnet-3", "subnet-4"}
	eips12    = []string{"eipalloc-1", "eipalloc-2"}
	eips34    = []string{"eipalloc-3", "eipalloc-4"}
	sg        = []string{"sg-0123456789abcdef0"}
)

type serverPlanRow struct {
	name        string
	spec        v1alpha1.TransferServerSpec
	hostKey     Sensitive
	fingerprint string
	observed    *Server
	specChanged bool
	// createdWithSpec is DesiredServer.CreatedWithSpec: CreateServer applied this spec.
	createdWithSpec bool
	// applied is DesiredServer.Applied: the clearable fields a successful pass applied.
	applied     []string
	want        serverPlanView
	wantUpdate  *transfer.UpdateServerInput
	wantOffline *transfer.UpdateServerInput
}

// TestPlanServer checks that PlanServer compares only the fields the spec sets, each the way
// AWS reports it, splits the changes between the online and the OFFLINE update, and sends only
// the changed fields.
func TestPlanServer(t *testing.T) {
	var rows []serverPlanRow
	rows = append(rows, serverBaselineRows()...)
	rows = append(rows, serverEndpointRows()...)
	rows = append(rows, serverIdentityRows()...)
	rows = append(rows, serverSettingRows()...)
	rows = append(rows, serverDefaultRows()...)
	rows = append(rows, serverTagRows()...)
	rows = append(rows, serverRemovalRows()...)
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			d := desiredServer(tc.spec)
			d.HostKey, d.HostKeyFingerprint = tc.hostKey, tc.fingerprint
			d.Applied, d.CreatedWithSpec = tc.applied, tc.createdWithSpec
			p := PlanServer(d, tc.observed, tc.specChanged)
			if diff := cmp.Diff(tc.want, viewServerPlan(p), equateEmpty); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
			if got, want := p.InSync(), len(tc.want.Changed) == 0 && !tc.want.Deferred; got != want {
				t.Errorf("InSync() = %v, want %v", got, want)
			}
			for _, u := range []struct {
				name string
				got  ServerUpdate
				want *transfer.UpdateServerInput
			}{
				{"Update", p.Update, tc.wantUpdate},
				{"OfflineUpdate", p.OfflineUpdate, tc.wantOffline},
			} {
				want := stdcmp.Or(u.want, serverUpdate(nil))
				if diff := cmp.Diff(want, u.got.updateServerInput(testServerID), sdkOpts); diff != "" {
					t.Errorf("%s request (-want +got):\n%s", u.name, diff)
				}
			}
		})
	}
}

func serverBaselineRows() []serverPlanRow {
	return []serverPlanRow{
		{
			name:     "nothing set is in sync with AWS defaults",
			observed: awsServer(),
		},
		{
			name:        "nothing set is in sync even right after a spec change",
			observed:    awsServer(),
			specChanged: true,
		},
		{
			name: "spec equal to AWS defaults is in sync",
			spec: v1alpha1.TransferServerSpec{
				Domain:               "S3",
				Protocols:            []v1alpha1.Protocol{"SFTP"},
				EndpointType:         "PUBLIC",
				IPAddressType:        "IPV4",
				IdentityProviderType: "SERVICE_MANAGED",
				SecurityPolicyName:   defaultPolicy,
				ProtocolDetails: &v1alpha1.ProtocolDetails{
					PassiveIP: "AUTO", TLSSessionResumptionMode: "ENFORCED", SetStatOption: "DEFAULT", As2Transports: []string{"HTTP"},
				},
				S3StorageOptions: &v1alpha1.S3StorageOptions{DirectoryListingOptimization: "DISABLED"},
			},
			observed:    awsServer(),
			specChanged: true,
		},
		{
			name:     "domain that differs is immutable and sent nowhere",
			spec:     v1alpha1.TransferServerSpec{Domain: "EFS"},
			observed: awsServer(),
			want:     serverPlanView{Changed: []string{"domain"}, Immutable: []string{"domain"}},
		},
		{
			name:        "domain AWS did not report is in sync",
			spec:        v1alpha1.TransferServerSpec{Domain: "EFS"},
			observed:    awsServer(func(d *types.DescribedServer) { d.Domain = "" }),
			specChanged: true,
		},
		{
			name:     "protocols in another order are in sync",
			spec:     v1alpha1.TransferServerSpec{Protocols: []v1alpha1.Protocol{"FTPS", "SFTP"}},
			observed: awsServer(func(d *types.DescribedServer) { d.Protocols = []types.Protocol{"SFTP", "FTPS"} }),
		},
		{
			name:       "protocol added is sent",
			spec:       v1alpha1.TransferServerSpec{Protocols: []v1alpha1.Protocol{"SFTP", "FTPS"}},
			observed:   awsServer(),
			want:       serverPlanView{Changed: []string{"protocols"}, Update: []string{"protocols"}},
			wantUpdate: serverUpdate(func(in *transfer.UpdateServerInput) { in.Protocols = []types.Protocol{"SFTP", "FTPS"} }),
		},
		{
			name:       "protocol removed is sent",
			spec:       v1alpha1.TransferServerSpec{Protocols: []v1alpha1.Protocol{"SFTP"}},
			observed:   awsServer(func(d *types.DescribedServer) { d.Protocols = []types.Protocol{"SFTP", "FTPS"} }),
			want:       serverPlanView{Changed: []string{"protocols"}, Update: []string{"protocols"}},
			wantUpdate: serverUpdate(func(in *transfer.UpdateServerInput) { in.Protocols = []types.Protocol{"SFTP"} }),
		},
		{
			name:     "protocols AWS did not report are not sent",
			spec:     v1alpha1.TransferServerSpec{Protocols: []v1alpha1.Protocol{"FTPS"}},
			observed: awsServer(func(d *types.DescribedServer) { d.Protocols = nil }),
		},
		{
			name:        "protocols AWS did not report are sent after a spec change",
			spec:        v1alpha1.TransferServerSpec{Protocols: []v1alpha1.Protocol{"FTPS"}},
			observed:    awsServer(func(d *types.DescribedServer) { d.Protocols = nil }),
			specChanged: true,
			want:        serverPlanView{Changed: []string{"protocols"}, Update: []string{"protocols"}},
			wantUpdate:  serverUpdate(func(in *transfer.UpdateServerInput) { in.Protocols = []types.Protocol{"FTPS"} }),
		},
		{
			name: "several changes are sorted and split between the updates",
			spec: v1alpha1.TransferServerSpec{
				Protocols: []v1alpha1.Protocol{"SFTP", "FTPS"}, IPAddressType: "DUALSTACK", LoggingRole: testRole,
				Tags: v1alpha1.Tags{"team": "a"},
			},
			observed: awsServer(func(d *types.DescribedServer) { d.LoggingRole = aws.String(otherRole) }),
			want: serverPlanView{
				Changed:       []string{"ipAddressType", "loggingRole", "protocols", "tags"},
				Update:        []string{"protocols", "loggingRole"},
				OfflineUpdate: []string{"ipAddressType"},
				AddTags:       map[string]string{"team": "a"},
			},
			wantUpdate: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.Protocols = []types.Protocol{"SFTP", "FTPS"}
				in.LoggingRole = aws.String(testRole)
			}),
			wantOffline: serverUpdate(func(in *transfer.UpdateServerInput) { in.IpAddressType = "DUALSTACK" }),
		},
	}
}

func serverEndpointRows() []serverPlanRow {
	withSGs := func(s v1alpha1.TransferServerSpec, groups ...v1alpha1.SecurityGroupID) v1alpha1.TransferServerSpec {
		s.EndpointDetails.SecurityGroupIDs = groups
		return s
	}
	return []serverPlanRow{
		{
			name:        "PUBLIC to VPC sends the type, placement and security groups while OFFLINE",
			spec:        vpcSpec(subnets12, nil),
			observed:    awsServer(),
			specChanged: true,
			want: serverPlanView{
				Changed:       []string{"endpointDetails.subnetIds", "endpointDetails.vpcId", "endpointType"},
				OfflineUpdate: []string{"endpointType", "endpointDetails.vpcId", "endpointDetails.subnetIds"},
			},
			wantOffline: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.EndpointType = types.EndpointTypeVpc
				in.EndpointDetails = &types.EndpointDetails{VpcId: aws.String("vpc-1"), SubnetIds: subnets12, SecurityGroupIds: sg}
			}),
		},
		{
			name: "endpoint type drift is corrected with the spec's placement while OFFLINE",
			spec: vpcSpec(subnets12, nil),
			observed: awsServer(func(d *types.DescribedServer) {
				d.EndpointType = types.EndpointTypeVpcEndpoint
				d.EndpointDetails = &types.EndpointDetails{VpcEndpointId: aws.String("vpce-0000000000legacy")}
			}),
			want: serverPlanView{Changed: []string{"endpointType"}, OfflineUpdate: []string{"endpointType"}},
			wantOffline: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.EndpointType = types.EndpointTypeVpc
				in.EndpointDetails = &types.EndpointDetails{VpcId: aws.String("vpc-1"), SubnetIds: subnets12, SecurityGroupIds: sg}
			}),
		},
		{
			name:     "VPC to PUBLIC sends the type while OFFLINE",
			spec:     v1alpha1.TransferServerSpec{EndpointType: "PUBLIC"},
			observed: awsServer(vpcEndpoint(subnets12, nil)),
			want:     serverPlanView{Changed: []string{"endpointType"}, OfflineUpdate: []string{"endpointType"}},
			wantOffline: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.EndpointType = types.EndpointTypePublic
			}),
		},
		{
			name:        "security groups are never compared",
			spec:        withSGs(vpcSpec(subnets12, nil), "sg-0000000000000000a", "sg-0000000000000000b"),
			observed:    awsServer(vpcEndpoint(subnets12, nil)),
			specChanged: true,
		},
		{
			name:     "subnets changed are sent online, without security groups",
			spec:     vpcSpec([]string{"subnet-1", "subnet-3"}, nil),
			observed: awsServer(vpcEndpoint(subnets12, nil)),
			want:     serverPlanView{Changed: []string{"endpointDetails.subnetIds"}, Update: []string{"endpointDetails.subnetIds"}},
			wantUpdate: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.EndpointDetails = &types.EndpointDetails{VpcId: aws.String("vpc-1"), SubnetIds: []string{"subnet-1", "subnet-3"}}
			}),
		},
		{
			name:     "subnets in another order are in sync",
			spec:     vpcSpec([]string{"subnet-2", "subnet-1"}, nil),
			observed: awsServer(vpcEndpoint(subnets12, nil)),
		},
		{
			name: "endpoint details AWS did not report are not sent",
			spec: vpcSpec(subnets34, eips34),
			observed: awsServer(func(d *types.DescribedServer) {
				d.EndpointType = types.EndpointTypeVpc
			}),
		},
		{
			name: "VPC endpoint changed is sent online",
			spec: v1alpha1.TransferServerSpec{
				EndpointType:    "VPC_ENDPOINT",
				EndpointDetails: &v1alpha1.EndpointDetails{VpcEndpointID: "vpce-0000000000000000b"},
			},
			observed: awsServer(func(d *types.DescribedServer) {
				d.EndpointType = types.EndpointTypeVpcEndpoint
				d.EndpointDetails = &types.EndpointDetails{VpcEndpointId: aws.String("vpce-0000000000000000a")}
			}),
			want: serverPlanView{Changed: []string{"endpointDetails.vpcEndpointId"}, Update: []string{"endpointDetails.vpcEndpointId"}},
			wantUpdate: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.EndpointDetails = &types.EndpointDetails{VpcEndpointId: aws.String("vpce-0000000000000000b")}
			}),
		},
		{
			name: "VPC endpoint named with endpointType VPC is neither compared nor sent: AWS creates its own",
			spec: func() v1alpha1.TransferServerSpec {
				s := vpcSpec(subnets12, nil)
				s.EndpointDetails.VpcEndpointID = "vpce-0000000000000000a"
				return s
			}(),
			observed:    awsServer(vpcEndpoint(subnets12, nil)),
			specChanged: true,
		},
		{
			name:     "Elastic IPs changed are sent alone while OFFLINE",
			spec:     vpcSpec(subnets12, eips34),
			observed: awsServer(vpcEndpoint(subnets12, eips12)),
			want: serverPlanView{
				Changed:       []string{"endpointDetails.addressAllocationIds"},
				OfflineUpdate: []string{"endpointDetails.addressAllocationIds"},
			},
			wantOffline: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.EndpointDetails = &types.EndpointDetails{AddressAllocationIds: eips34}
			}),
		},
		{
			name:     "Elastic IPs in another order are in sync",
			spec:     vpcSpec(subnets12, []string{"eipalloc-2", "eipalloc-1"}),
			observed: awsServer(vpcEndpoint(subnets12, eips12)),
		},
		{
			name:     "Elastic IPs added to a server that has its subnets",
			spec:     vpcSpec(subnets12, eips12),
			observed: awsServer(vpcEndpoint(subnets12, []string{})),
			want: serverPlanView{
				Changed:       []string{"endpointDetails.addressAllocationIds"},
				OfflineUpdate: []string{"endpointDetails.addressAllocationIds"},
			},
			wantOffline: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.EndpointDetails = &types.EndpointDetails{AddressAllocationIds: eips12}
			}),
		},
		{
			name:     "Elastic IPs AWS did not report are not sent",
			spec:     vpcSpec(subnets12, eips12),
			observed: awsServer(vpcEndpoint(subnets12, nil)),
		},
		{
			name:        "Elastic IPs AWS did not report are sent after a spec change",
			spec:        vpcSpec(subnets12, eips12),
			observed:    awsServer(vpcEndpoint(subnets12, nil)),
			specChanged: true,
			want: serverPlanView{
				Changed:       []string{"endpointDetails.addressAllocationIds"},
				OfflineUpdate: []string{"endpointDetails.addressAllocationIds"},
			},
			wantOffline: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.EndpointDetails = &types.EndpointDetails{AddressAllocationIds: eips12}
			}),
		},
		{
			name:            "Elastic IPs AWS did not report are sent after the create, which never takes them",
			spec:            vpcSpec(subnets12, eips12),
			observed:        awsServer(vpcEndpoint(subnets12, nil)),
			specChanged:     true,
			createdWithSpec: true,
			want: serverPlanView{
				Changed:       []string{"endpointDetails.addressAllocationIds"},
				OfflineUpdate: []string{"endpointDetails.addressAllocationIds"},
			},
			wantOffline: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.EndpointDetails = &types.EndpointDetails{AddressAllocationIds: eips12}
			}),
		},
		{
			name:     "Elastic IPs wait while the subnets change",
			spec:     vpcSpec(subnets34, eips12),
			observed: awsServer(vpcEndpoint(subnets12, []string{})),
			want: serverPlanView{
				Changed:  []string{"endpointDetails.addressAllocationIds", "endpointDetails.subnetIds"},
				Update:   []string{"endpointDetails.subnetIds"},
				Deferred: true,
			},
			wantUpdate: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.EndpointDetails = &types.EndpointDetails{VpcId: aws.String("vpc-1"), SubnetIds: subnets34}
			}),
		},
		{
			name:     "Elastic IPs are removed while OFFLINE before the subnets change",
			spec:     vpcSpec(subnets34, eips34),
			observed: awsServer(vpcEndpoint(subnets12, eips12)),
			want: serverPlanView{
				Changed:       []string{"endpointDetails.addressAllocationIds", "endpointDetails.subnetIds"},
				OfflineUpdate: []string{"endpointDetails.addressAllocationIds"},
				Deferred:      true,
			},
			wantOffline: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.EndpointDetails = &types.EndpointDetails{AddressAllocationIds: []string{}}
			}),
		},
		{
			name:        "Elastic IPs wait while a PUBLIC server becomes VPC",
			spec:        vpcSpec(subnets12, eips12),
			observed:    awsServer(),
			specChanged: true,
			want: serverPlanView{
				Changed: []string{
					"endpointDetails.addressAllocationIds", "endpointDetails.subnetIds", "endpointDetails.vpcId", "endpointType",
				},
				OfflineUpdate: []string{"endpointType", "endpointDetails.vpcId", "endpointDetails.subnetIds"},
				Deferred:      true,
			},
			wantOffline: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.EndpointType = types.EndpointTypeVpc
				in.EndpointDetails = &types.EndpointDetails{VpcId: aws.String("vpc-1"), SubnetIds: subnets12, SecurityGroupIds: sg}
			}),
		},
		{
			name:        "ipAddressType changed is sent while OFFLINE",
			spec:        v1alpha1.TransferServerSpec{IPAddressType: "DUALSTACK"},
			observed:    awsServer(),
			want:        serverPlanView{Changed: []string{"ipAddressType"}, OfflineUpdate: []string{"ipAddressType"}},
			wantOffline: serverUpdate(func(in *transfer.UpdateServerInput) { in.IpAddressType = types.IpAddressTypeDualstack }),
		},
	}
}

func serverIdentityRows() []serverPlanRow {
	apiGateway := func(url, role string, method types.SftpAuthenticationMethods) func(*types.DescribedServer) {
		return func(d *types.DescribedServer) {
			d.IdentityProviderType = types.IdentityProviderTypeApiGateway
			d.IdentityProviderDetails = &types.IdentityProviderDetails{
				Url: aws.String(url), InvocationRole: aws.String(role), SftpAuthenticationMethods: method,
			}
		}
	}
	gatewaySpec := func(details v1alpha1.IdentityProviderDetails) v1alpha1.TransferServerSpec {
		return v1alpha1.TransferServerSpec{IdentityProviderType: "API_GATEWAY", IdentityProviderDetails: &details}
	}
	directory := func(d *types.DescribedServer) {
		d.IdentityProviderType = types.IdentityProviderTypeAwsDirectoryService
		d.IdentityProviderDetails = nil
	}
	directorySpec := v1alpha1.TransferServerSpec{
		IdentityProviderType:    "AWS_DIRECTORY_SERVICE",
		IdentityProviderDetails: &v1alpha1.IdentityProviderDetails{DirectoryID: "d-0123456789"},
	}
	return []serverPlanRow{
		{
			name: "identity provider type changed is sent with its details",
			spec: v1alpha1.TransferServerSpec{
				IdentityProviderType:    "AWS_LAMBDA",
				IdentityProviderDetails: &v1alpha1.IdentityProviderDetails{Function: testLambda},
			},
			observed:    awsServer(),
			specChanged: true,
			want: serverPlanView{
				Changed: []string{"identityProviderDetails.function", "identityProviderType"},
				Update:  []string{"identityProviderType", "identityProviderDetails.function"},
			},
			wantUpdate: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.IdentityProviderType = types.IdentityProviderTypeAwsLambda
				in.IdentityProviderDetails = &types.IdentityProviderDetails{Function: aws.String(testLambda)}
			}),
		},
		{
			name:     "identity provider details equal are in sync, AWS's default method ignored",
			spec:     gatewaySpec(v1alpha1.IdentityProviderDetails{URL: "https://a.example", InvocationRole: testRole}),
			observed: awsServer(apiGateway("https://a.example", testRole, types.SftpAuthenticationMethodsPublicKeyOrPassword)),
		},
		{
			name:     "identity provider url changed",
			spec:     gatewaySpec(v1alpha1.IdentityProviderDetails{URL: "https://b.example", InvocationRole: testRole}),
			observed: awsServer(apiGateway("https://a.example", testRole, types.SftpAuthenticationMethodsPublicKeyOrPassword)),
			want: serverPlanView{
				Changed: []string{"identityProviderDetails.url"},
				Update:  []string{"identityProviderDetails.url"},
			},
			wantUpdate: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.IdentityProviderDetails = &types.IdentityProviderDetails{Url: aws.String("https://b.example"), InvocationRole: aws.String(testRole)}
			}),
		},
		{
			name:     "identity provider invocation role changed",
			spec:     gatewaySpec(v1alpha1.IdentityProviderDetails{URL: "https://a.example", InvocationRole: otherRole}),
			observed: awsServer(apiGateway("https://a.example", testRole, types.SftpAuthenticationMethodsPublicKeyOrPassword)),
			want: serverPlanView{
				Changed: []string{"identityProviderDetails.invocationRole"},
				Update:  []string{"identityProviderDetails.invocationRole"},
			},
			wantUpdate: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.IdentityProviderDetails = &types.IdentityProviderDetails{Url: aws.String("https://a.example"), InvocationRole: aws.String(otherRole)}
			}),
		},
		{
			name: "identity provider sftp authentication methods changed",
			spec: gatewaySpec(v1alpha1.IdentityProviderDetails{
				URL: "https://a.example", InvocationRole: testRole, SftpAuthenticationMethods: "PUBLIC_KEY_AND_PASSWORD",
			}),
			observed: awsServer(apiGateway("https://a.example", testRole, types.SftpAuthenticationMethodsPublicKeyOrPassword)),
			want: serverPlanView{
				Changed: []string{"identityProviderDetails.sftpAuthenticationMethods"},
				Update:  []string{"identityProviderDetails.sftpAuthenticationMethods"},
			},
			wantUpdate: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.IdentityProviderDetails = &types.IdentityProviderDetails{
					Url: aws.String("https://a.example"), InvocationRole: aws.String(testRole),
					SftpAuthenticationMethods: types.SftpAuthenticationMethodsPublicKeyAndPassword,
				}
			}),
		},
		{
			name:     "identity provider url and role changed are two fields, one request",
			spec:     gatewaySpec(v1alpha1.IdentityProviderDetails{URL: "https://b.example", InvocationRole: otherRole}),
			observed: awsServer(apiGateway("https://a.example", testRole, types.SftpAuthenticationMethodsPublicKeyOrPassword)),
			want: serverPlanView{
				Changed: []string{"identityProviderDetails.invocationRole", "identityProviderDetails.url"},
				Update:  []string{"identityProviderDetails.url", "identityProviderDetails.invocationRole"},
			},
			wantUpdate: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.IdentityProviderDetails = &types.IdentityProviderDetails{Url: aws.String("https://b.example"), InvocationRole: aws.String(otherRole)}
			}),
		},
		{
			name: "identity provider function changed",
			spec: v1alpha1.TransferServerSpec{
				IdentityProviderType:    "AWS_LAMBDA",
				IdentityProviderDetails: &v1alpha1.IdentityProviderDetails{Function: testLambda + "-v2"},
			},
			observed: awsServer(func(d *types.DescribedServer) {
				d.IdentityProviderType = types.IdentityProviderTypeAwsLambda
				d.IdentityProviderDetails = &types.IdentityProviderDetails{Function: aws.String(testLambda)}
			}),
			want: serverPlanView{Changed: []string{"identityProviderDetails.function"}, Update: []string{"identityProviderDetails.function"}},
			wantUpdate: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.IdentityProviderDetails = &types.IdentityProviderDetails{Function: aws.String(testLambda + "-v2")}
			}),
		},
		{
			name:     "directory AWS does not report is not sent",
			spec:     directorySpec,
			observed: awsServer(directory),
		},
		{
			name:        "directory AWS does not report is sent after a spec change",
			spec:        directorySpec,
			observed:    awsServer(directory),
			specChanged: true,
			want:        serverPlanView{Changed: []string{"identityProviderDetails.directoryId"}, Update: []string{"identityProviderDetails.directoryId"}},
			wantUpdate: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.IdentityProviderDetails = &types.IdentityProviderDetails{DirectoryId: aws.String("d-0123456789")}
			}),
		},
		{
			name:            "directory AWS does not report is not sent again after the create that took it",
			spec:            directorySpec,
			observed:        awsServer(directory),
			specChanged:     true,
			createdWithSpec: true,
		},
		{
			name: "directory changed when AWS reports it",
			spec: directorySpec,
			observed: awsServer(directory, func(d *types.DescribedServer) {
				d.IdentityProviderDetails = &types.IdentityProviderDetails{DirectoryId: aws.String("d-9999999999")}
			}),
			want: serverPlanView{Changed: []string{"identityProviderDetails.directoryId"}, Update: []string{"identityProviderDetails.directoryId"}},
			wantUpdate: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.IdentityProviderDetails = &types.IdentityProviderDetails{DirectoryId: aws.String("d-0123456789")}
			}),
		},
		{
			name:        "host key with the fingerprint AWS reports is not sent",
			hostKey:     "HOST-KEY-A",
			fingerprint: "SHA256:generatedByAWS",
			observed:    awsServer(),
			specChanged: true,
		},
		{
			name:        "host key with another fingerprint is sent",
			hostKey:     "HOST-KEY-A",
			fingerprint: "SHA256:keyA",
			observed:    awsServer(),
			want:        serverPlanView{Changed: []string{"hostKeySecretRef"}, Update: []string{"hostKeySecretRef"}},
			wantUpdate:  serverUpdate(func(in *transfer.UpdateServerInput) { in.HostKey = aws.String("HOST-KEY-A") }),
		},
		{
			name:        "host key when AWS reports no fingerprint is not sent",
			hostKey:     "HOST-KEY-A",
			fingerprint: "SHA256:keyA",
			observed:    awsServer(func(d *types.DescribedServer) { d.HostKeyFingerprint = nil }),
		},
	}
}

func serverSettingRows() []serverPlanRow {
	var rows []serverPlanRow
	for _, f := range []struct {
		field string
		spec  v1alpha1.TransferServerSpec
		unset func(*types.DescribedServer)
		set   func(*transfer.UpdateServerInput)
	}{
		{
			"certificate", v1alpha1.TransferServerSpec{Certificate: testCert},
			func(d *types.DescribedServer) { d.Certificate = nil },
			func(in *transfer.UpdateServerInput) { in.Certificate = aws.String(testCert) },
		},
		{
			"loggingRole", v1alpha1.TransferServerSpec{LoggingRole: testRole},
			func(d *types.DescribedServer) { d.LoggingRole = nil },
			func(in *transfer.UpdateServerInput) { in.LoggingRole = aws.String(testRole) },
		},
		{
			"securityPolicyName", v1alpha1.TransferServerSpec{SecurityPolicyName: "TransferSecurityPolicy-2024-01"},
			func(d *types.DescribedServer) { d.SecurityPolicyName = nil },
			func(in *transfer.UpdateServerInput) {
				in.SecurityPolicyName = aws.String("TransferSecurityPolicy-2024-01")
			},
		},
		{
			"preAuthenticationLoginBanner", v1alpha1.TransferServerSpec{PreAuthenticationLoginBanner: "Authorized use only"},
			func(d *types.DescribedServer) { d.PreAuthenticationLoginBanner = nil },
			func(in *transfer.UpdateServerInput) {
				in.PreAuthenticationLoginBanner = aws.String("Authorized use only")
			},
		},
		{
			"postAuthenticationLoginBanner", v1alpha1.TransferServerSpec{PostAuthenticationLoginBanner: "Welcome"},
			func(d *types.DescribedServer) { d.PostAuthenticationLoginBanner = nil },
			func(in *transfer.UpdateServerInput) { in.PostAuthenticationLoginBanner = aws.String("Welcome") },
		},
	} {
		other := func(d *types.DescribedServer) {
			d.Certificate, d.LoggingRole, d.SecurityPolicyName = aws.String("other"), aws.String("other"), aws.String("other")
			d.PreAuthenticationLoginBanner, d.PostAuthenticationLoginBanner = aws.String("other"), aws.String("other")
		}
		same := func(d *types.DescribedServer) {
			in := serverUpdate(f.set)
			d.Certificate, d.LoggingRole, d.SecurityPolicyName = in.Certificate, in.LoggingRole, in.SecurityPolicyName
			d.PreAuthenticationLoginBanner, d.PostAuthenticationLoginBanner = in.PreAuthenticationLoginBanner, in.PostAuthenticationLoginBanner
		}
		rows = append(rows,
			serverPlanRow{
				name:       f.field + " changed is sent",
				spec:       f.spec,
				observed:   awsServer(other),
				want:       serverPlanView{Changed: []string{f.field}, Update: []string{f.field}},
				wantUpdate: serverUpdate(f.set),
			},
			serverPlanRow{name: f.field + " equal is in sync", spec: f.spec, observed: awsServer(other, same), specChanged: true},
			serverPlanRow{name: f.field + " AWS did not report is not sent", spec: f.spec, observed: awsServer(other, f.unset)},
			serverPlanRow{
				name:        f.field + " AWS did not report is sent after a spec change",
				spec:        f.spec,
				observed:    awsServer(other, f.unset),
				specChanged: true,
				want:        serverPlanView{Changed: []string{f.field}, Update: []string{f.field}},
				wantUpdate:  serverUpdate(f.set),
			},
		)
	}

	logs := func(arns ...string) func(*types.DescribedServer) {
		return func(d *types.DescribedServer) { d.StructuredLogDestinations = append([]string{}, arns...) }
	}
	logSpec := func(arns ...v1alpha1.LogDestinationARN) v1alpha1.TransferServerSpec {
		return v1alpha1.TransferServerSpec{StructuredLogDestinations: append([]v1alpha1.LogDestinationARN{}, arns...)}
	}
	protocolSpec := func(pd v1alpha1.ProtocolDetails) v1alpha1.TransferServerSpec {
		return v1alpha1.TransferServerSpec{ProtocolDetails: &pd}
	}
	workflows := func(upload, partial []types.WorkflowDetail) func(*types.DescribedServer) {
		return func(d *types.DescribedServer) {
			d.WorkflowDetails = &types.WorkflowDetails{OnUpload: upload, OnPartialUpload: partial}
		}
	}
	wf := func(id, role string) types.WorkflowDetail {
		return types.WorkflowDetail{WorkflowId: aws.String(id), ExecutionRole: aws.String(role)}
	}
	specWF := func(upload, partial []v1alpha1.WorkflowDetail) v1alpha1.TransferServerSpec {
		return v1alpha1.TransferServerSpec{WorkflowDetails: &v1alpha1.WorkflowDetails{OnUpload: upload, OnPartialUpload: partial}}
	}
	return append(rows, []serverPlanRow{
		{
			name:       "structured log destinations as an empty list clear them",
			spec:       logSpec(),
			observed:   awsServer(logs(testLog1)),
			want:       serverPlanView{Changed: []string{"structuredLogDestinations"}, Update: []string{"structuredLogDestinations"}},
			wantUpdate: serverUpdate(func(in *transfer.UpdateServerInput) { in.StructuredLogDestinations = []string{} }),
		},
		{
			name:     "structured log destinations as an empty list match an empty list",
			spec:     logSpec(),
			observed: awsServer(logs()),
		},
		{
			name:     "structured log destinations as an empty list are not sent when AWS reports none",
			spec:     logSpec(),
			observed: awsServer(),
		},
		{
			name:     "structured log destinations in another order are in sync",
			spec:     logSpec(testLog2, testLog1),
			observed: awsServer(logs(testLog1, testLog2)),
		},
		{
			name:       "structured log destination added",
			spec:       logSpec(testLog1, testLog2),
			observed:   awsServer(logs(testLog1)),
			want:       serverPlanView{Changed: []string{"structuredLogDestinations"}, Update: []string{"structuredLogDestinations"}},
			wantUpdate: serverUpdate(func(in *transfer.UpdateServerInput) { in.StructuredLogDestinations = []string{testLog1, testLog2} }),
		},
		{
			name:        "structured log destinations unset are not managed",
			observed:    awsServer(logs(testLog1)),
			specChanged: true,
		},
		{
			name:     "passive IP changed is sent while OFFLINE",
			spec:     protocolSpec(v1alpha1.ProtocolDetails{PassiveIP: "203.0.113.10"}),
			observed: awsServer(),
			want: serverPlanView{
				Changed: []string{"protocolDetails.passiveIp"}, OfflineUpdate: []string{"protocolDetails.passiveIp"},
			},
			wantOffline: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.ProtocolDetails = &types.ProtocolDetails{PassiveIp: aws.String("203.0.113.10")}
			}),
		},
		{
			name:     "TLS session resumption mode changed is sent online",
			spec:     protocolSpec(v1alpha1.ProtocolDetails{TLSSessionResumptionMode: "DISABLED"}),
			observed: awsServer(),
			want: serverPlanView{
				Changed: []string{"protocolDetails.tlsSessionResumptionMode"}, Update: []string{"protocolDetails.tlsSessionResumptionMode"},
			},
			wantUpdate: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.ProtocolDetails = &types.ProtocolDetails{TlsSessionResumptionMode: types.TlsSessionResumptionModeDisabled}
			}),
		},
		{
			name:     "SETSTAT option changed is sent online",
			spec:     protocolSpec(v1alpha1.ProtocolDetails{SetStatOption: "ENABLE_NO_OP"}),
			observed: awsServer(),
			want: serverPlanView{
				Changed: []string{"protocolDetails.setStatOption"}, Update: []string{"protocolDetails.setStatOption"},
			},
			wantUpdate: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.ProtocolDetails = &types.ProtocolDetails{SetStatOption: types.SetStatOptionEnableNoOp}
			}),
		},
		{
			name:     "passive IP and TLS mode changed: each update carries the spec's protocol details",
			spec:     protocolSpec(v1alpha1.ProtocolDetails{PassiveIP: "203.0.113.10", TLSSessionResumptionMode: "DISABLED"}),
			observed: awsServer(),
			want: serverPlanView{
				Changed:       []string{"protocolDetails.passiveIp", "protocolDetails.tlsSessionResumptionMode"},
				Update:        []string{"protocolDetails.tlsSessionResumptionMode"},
				OfflineUpdate: []string{"protocolDetails.passiveIp"},
			},
			wantUpdate: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.ProtocolDetails = &types.ProtocolDetails{PassiveIp: aws.String("203.0.113.10"), TlsSessionResumptionMode: types.TlsSessionResumptionModeDisabled}
			}),
			wantOffline: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.ProtocolDetails = &types.ProtocolDetails{PassiveIp: aws.String("203.0.113.10"), TlsSessionResumptionMode: types.TlsSessionResumptionModeDisabled}
			}),
		},
		{
			name:     "protocol details AWS did not report are not sent",
			spec:     protocolSpec(v1alpha1.ProtocolDetails{PassiveIP: "203.0.113.10", SetStatOption: "ENABLE_NO_OP"}),
			observed: awsServer(func(d *types.DescribedServer) { d.ProtocolDetails = nil }),
		},
		{
			name:     "directory listing optimization changed is sent",
			spec:     v1alpha1.TransferServerSpec{S3StorageOptions: &v1alpha1.S3StorageOptions{DirectoryListingOptimization: "ENABLED"}},
			observed: awsServer(),
			want: serverPlanView{
				Changed: []string{"s3StorageOptions.directoryListingOptimization"}, Update: []string{"s3StorageOptions.directoryListingOptimization"},
			},
			wantUpdate: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.S3StorageOptions = &types.S3StorageOptions{DirectoryListingOptimization: types.DirectoryListingOptimizationEnabled}
			}),
		},
		{
			name:     "S3 storage options AWS did not report are not sent",
			spec:     v1alpha1.TransferServerSpec{S3StorageOptions: &v1alpha1.S3StorageOptions{DirectoryListingOptimization: "ENABLED"}},
			observed: awsServer(func(d *types.DescribedServer) { d.S3StorageOptions = nil }),
		},
		{
			name:     "upload workflow added",
			spec:     specWF([]v1alpha1.WorkflowDetail{{WorkflowID: testWorkflow1, ExecutionRole: testRole}}, nil),
			observed: awsServer(),
			want:     serverPlanView{Changed: []string{"workflowDetails.onUpload"}, Update: []string{"workflowDetails.onUpload"}},
			wantUpdate: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.WorkflowDetails = &types.WorkflowDetails{OnUpload: []types.WorkflowDetail{wf(testWorkflow1, testRole)}}
			}),
		},
		{
			name:     "upload workflow as an empty list removes it",
			spec:     specWF([]v1alpha1.WorkflowDetail{}, nil),
			observed: awsServer(workflows([]types.WorkflowDetail{wf(testWorkflow1, testRole)}, nil)),
			want:     serverPlanView{Changed: []string{"workflowDetails.onUpload"}, Update: []string{"workflowDetails.onUpload"}},
			wantUpdate: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.WorkflowDetails = &types.WorkflowDetails{OnUpload: []types.WorkflowDetail{}}
			}),
		},
		{
			name:     "upload workflow as an empty list is in sync with none",
			spec:     specWF([]v1alpha1.WorkflowDetail{}, nil),
			observed: awsServer(),
		},
		{
			name: "partial upload workflow with another role is sent",
			spec: specWF(nil, []v1alpha1.WorkflowDetail{{WorkflowID: testWorkflow2, ExecutionRole: otherRole}}),
			observed: awsServer(workflows(
				[]types.WorkflowDetail{wf(testWorkflow1, testRole)}, []types.WorkflowDetail{wf(testWorkflow2, testRole)},
			)),
			want: serverPlanView{Changed: []string{"workflowDetails.onPartialUpload"}, Update: []string{"workflowDetails.onPartialUpload"}},
			wantUpdate: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.WorkflowDetails = &types.WorkflowDetails{OnPartialUpload: []types.WorkflowDetail{wf(testWorkflow2, otherRole)}}
			}),
		},
		{
			name: "workflows equal are in sync",
			spec: specWF(
				[]v1alpha1.WorkflowDetail{{WorkflowID: testWorkflow1, ExecutionRole: testRole}},
				[]v1alpha1.WorkflowDetail{{WorkflowID: testWorkflow2, ExecutionRole: testRole}},
			),
			observed: awsServer(workflows(
				[]types.WorkflowDetail{wf(testWorkflow1, testRole)}, []types.WorkflowDetail{wf(testWorkflow2, testRole)},
			)),
			specChanged: true,
		},
		{
			name:        "workflows unset are not managed",
			observed:    awsServer(workflows([]types.WorkflowDetail{wf(testWorkflow1, testRole)}, nil)),
			specChanged: true,
		},
	}...)
}

// serverDefaultRows check that a field the spec sets to the default AWS documents for it is in
// sync with a server that does not report the field, even right after a spec change: AWS applies
// that default to a field nobody set. A value other than the default is still sent after a spec
// change.
func serverDefaultRows() []serverPlanRow {
	lambda := func(method types.SftpAuthenticationMethods) func(*types.DescribedServer) {
		return func(d *types.DescribedServer) {
			d.IdentityProviderType = types.IdentityProviderTypeAwsLambda
			d.IdentityProviderDetails = &types.IdentityProviderDetails{Function: aws.String(testLambda), SftpAuthenticationMethods: method}
		}
	}
	lambdaSpec := func(method string) v1alpha1.TransferServerSpec {
		return v1alpha1.TransferServerSpec{
			IdentityProviderType:    "AWS_LAMBDA",
			IdentityProviderDetails: &v1alpha1.IdentityProviderDetails{Function: testLambda, SftpAuthenticationMethods: method},
		}
	}
	protocolSpec := func(pd v1alpha1.ProtocolDetails) v1alpha1.TransferServerSpec {
		return v1alpha1.TransferServerSpec{ProtocolDetails: &pd}
	}
	var rows []serverPlanRow
	for _, f := range []struct {
		name     string
		spec     v1alpha1.TransferServerSpec
		observed *Server
	}{
		{"protocols [SFTP]", v1alpha1.TransferServerSpec{Protocols: []v1alpha1.Protocol{"SFTP"}},
			awsServer(func(d *types.DescribedServer) { d.Protocols = nil })},
		{"endpointType PUBLIC", v1alpha1.TransferServerSpec{EndpointType: "PUBLIC"},
			awsServer(func(d *types.DescribedServer) { d.EndpointType = "" })},
		{"ipAddressType IPV4", v1alpha1.TransferServerSpec{IPAddressType: "IPV4"},
			awsServer(func(d *types.DescribedServer) { d.IpAddressType = "" })},
		{"identityProviderType SERVICE_MANAGED", v1alpha1.TransferServerSpec{IdentityProviderType: "SERVICE_MANAGED"},
			awsServer(func(d *types.DescribedServer) { d.IdentityProviderType = "" })},
		{"sftpAuthenticationMethods PUBLIC_KEY_OR_PASSWORD", lambdaSpec("PUBLIC_KEY_OR_PASSWORD"), awsServer(lambda(""))},
		{"passiveIp AUTO", protocolSpec(v1alpha1.ProtocolDetails{PassiveIP: "AUTO"}),
			awsServer(func(d *types.DescribedServer) { d.ProtocolDetails.PassiveIp = nil })},
		{"tlsSessionResumptionMode ENFORCED", protocolSpec(v1alpha1.ProtocolDetails{TLSSessionResumptionMode: "ENFORCED"}),
			awsServer(func(d *types.DescribedServer) { d.ProtocolDetails.TlsSessionResumptionMode = "" })},
		{"setStatOption DEFAULT", protocolSpec(v1alpha1.ProtocolDetails{SetStatOption: "DEFAULT"}),
			awsServer(func(d *types.DescribedServer) { d.ProtocolDetails.SetStatOption = "" })},
		{"as2Transports [HTTP]", protocolSpec(v1alpha1.ProtocolDetails{As2Transports: []string{"HTTP"}}), awsServer()},
		{"every protocol detail at its default, protocol details not reported", protocolSpec(v1alpha1.ProtocolDetails{
			PassiveIP: "AUTO", TLSSessionResumptionMode: "ENFORCED", SetStatOption: "DEFAULT", As2Transports: []string{"HTTP"},
		}), awsServer(func(d *types.DescribedServer) { d.ProtocolDetails = nil })},
		{"directoryListingOptimization DISABLED",
			v1alpha1.TransferServerSpec{S3StorageOptions: &v1alpha1.S3StorageOptions{DirectoryListingOptimization: "DISABLED"}},
			awsServer(func(d *types.DescribedServer) { d.S3StorageOptions = nil })},
		{"structuredLogDestinations empty", v1alpha1.TransferServerSpec{StructuredLogDestinations: []v1alpha1.LogDestinationARN{}},
			awsServer()},
		{"addressAllocationIds empty", vpcSpec(subnets12, []string{}), awsServer(vpcEndpoint(subnets12, nil))},
	} {
		rows = append(rows, serverPlanRow{
			name: f.name + " matches a server that does not report it", spec: f.spec, observed: f.observed, specChanged: true,
		})
	}
	return append(rows, []serverPlanRow{
		{
			name:        "endpointType other than the default is sent after a spec change when AWS did not report it",
			spec:        v1alpha1.TransferServerSpec{EndpointType: "VPC_ENDPOINT", EndpointDetails: &v1alpha1.EndpointDetails{VpcEndpointID: "vpce-1"}},
			observed:    awsServer(func(d *types.DescribedServer) { d.EndpointType = "" }),
			specChanged: true,
			want: serverPlanView{
				Changed:       []string{"endpointDetails.vpcEndpointId", "endpointType"},
				OfflineUpdate: []string{"endpointType", "endpointDetails.vpcEndpointId"},
			},
			wantOffline: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.EndpointType = types.EndpointTypeVpcEndpoint
				in.EndpointDetails = &types.EndpointDetails{VpcEndpointId: aws.String("vpce-1")}
			}),
		},
		{
			name:        "ipAddressType other than the default is sent after a spec change when AWS did not report it",
			spec:        v1alpha1.TransferServerSpec{IPAddressType: "DUALSTACK"},
			observed:    awsServer(func(d *types.DescribedServer) { d.IpAddressType = "" }),
			specChanged: true,
			want:        serverPlanView{Changed: []string{"ipAddressType"}, OfflineUpdate: []string{"ipAddressType"}},
			wantOffline: serverUpdate(func(in *transfer.UpdateServerInput) { in.IpAddressType = types.IpAddressTypeDualstack }),
		},
		{
			name:        "sftpAuthenticationMethods other than the default is sent after a spec change when AWS did not report it",
			spec:        lambdaSpec("PASSWORD"),
			observed:    awsServer(lambda("")),
			specChanged: true,
			want: serverPlanView{
				Changed: []string{"identityProviderDetails.sftpAuthenticationMethods"},
				Update:  []string{"identityProviderDetails.sftpAuthenticationMethods"},
			},
			wantUpdate: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.IdentityProviderDetails = &types.IdentityProviderDetails{
					Function: aws.String(testLambda), SftpAuthenticationMethods: types.SftpAuthenticationMethodsPassword,
				}
			}),
		},
		{
			name: "directoryListingOptimization other than the default is sent after a spec change when AWS did not report it",
			spec: v1alpha1.TransferServerSpec{S3StorageOptions: &v1alpha1.S3StorageOptions{DirectoryListingOptimization: "ENABLED"}},
			observed: awsServer(func(d *types.DescribedServer) {
				d.S3StorageOptions = nil
			}),
			specChanged: true,
			want: serverPlanView{
				Changed: []string{"s3StorageOptions.directoryListingOptimization"}, Update: []string{"s3StorageOptions.directoryListingOptimization"},
			},
			wantUpdate: serverUpdate(func(in *transfer.UpdateServerInput) {
				in.S3StorageOptions = &types.S3StorageOptions{DirectoryListingOptimization: types.DirectoryListingOptimizationEnabled}
			}),
		},
		{
			name:     "as2Transports AWS reports but the spec leaves out are not compared",
			spec:     protocolSpec(v1alpha1.ProtocolDetails{SetStatOption: "DEFAULT"}),
			observed: awsServer(func(d *types.DescribedServer) { d.ProtocolDetails.As2Transports = []types.As2Transport{"HTTP"} }),
		},
	}...)
}

func serverTagRows() []serverPlanRow {
	observedTags := func(tags map[string]string) func(*types.DescribedServer) {
		return func(d *types.DescribedServer) { d.Tags = tagList(tags) }
	}
	return []serverPlanRow{
		{
			name:     "user tag added",
			spec:     v1alpha1.TransferServerSpec{Tags: v1alpha1.Tags{"team": "a"}},
			observed: awsServer(),
			want:     serverPlanView{Changed: []string{"tags"}, AddTags: map[string]string{"team": "a"}},
		},
		{
			name:     "user tag changed",
			spec:     v1alpha1.TransferServerSpec{Tags: v1alpha1.Tags{"team": "a"}},
			observed: awsServer(observedTags(mergeTags(serverOwnerTags, map[string]string{"team": "b"}))),
			want:     serverPlanView{Changed: []string{"tags"}, AddTags: map[string]string{"team": "a"}},
		},
		{
			name:     "user tags not in the spec removed",
			spec:     v1alpha1.TransferServerSpec{Tags: v1alpha1.Tags{"team": "a"}},
			observed: awsServer(observedTags(mergeTags(serverOwnerTags, map[string]string{"team": "a", "old": "x", "Name": "y"}))),
			want:     serverPlanView{Changed: []string{"tags"}, RemoveTags: []string{"Name", "old"}},
		},
		{
			name:     "bookkeeping tags added when missing",
			observed: awsServer(observedTags(map[string]string{awsStackTag: "infra"})),
			want:     serverPlanView{Changed: []string{"tags"}, AddTags: serverOwnerTags},
		},
		{
			name:     "bookkeeping tag with another value is reset",
			observed: awsServer(observedTags(mergeTags(serverOwnerTags, map[string]string{TagOwnerUID: "uid-other"}))),
			want:     serverPlanView{Changed: []string{"tags"}, AddTags: map[string]string{TagOwnerUID: "uid-server"}},
		},
		{
			name: "bookkeeping and AWS tags are never removed",
			spec: v1alpha1.TransferServerSpec{Tags: v1alpha1.Tags{"team": "a"}},
			observed: awsServer(observedTags(mergeTags(serverOwnerTags, map[string]string{
				"team": "a", TagPrefix + "other": "x", "aws:created-by": "y",
			}))),
			specChanged: true,
		},
		{
			name:     "custom hostname tags added",
			spec:     v1alpha1.TransferServerSpec{CustomHostname: &v1alpha1.CustomHostname{Hostname: "sftp.example.com", Route53HostedZoneID: "/hostedzone/Z1"}},
			observed: awsServer(observedTags(serverOwnerTags)),
			want: serverPlanView{Changed: []string{"customHostname"}, AddTags: map[string]string{
				TagCustomHostname: "sftp.example.com", TagRoute53HostedZoneID: "/hostedzone/Z1",
			}},
		},
		{
			name: "custom hostname changed and zone tag removed, beside a user tag change",
			spec: v1alpha1.TransferServerSpec{
				CustomHostname: &v1alpha1.CustomHostname{Hostname: "files.example.com"},
				Tags:           v1alpha1.Tags{"team": "a"},
			},
			observed: awsServer(observedTags(mergeTags(serverOwnerTags, map[string]string{
				TagCustomHostname: "sftp.example.com", TagRoute53HostedZoneID: "/hostedzone/Z1", "old": "x",
			}))),
			want: serverPlanView{
				Changed:    []string{"customHostname", "tags"},
				AddTags:    map[string]string{TagCustomHostname: "files.example.com", "team": "a"},
				RemoveTags: []string{TagRoute53HostedZoneID, "old"},
			},
		},
		{
			name:     "custom hostname in sync",
			spec:     v1alpha1.TransferServerSpec{CustomHostname: &v1alpha1.CustomHostname{Hostname: "sftp.example.com"}},
			observed: awsServer(observedTags(mergeTags(serverOwnerTags, map[string]string{TagCustomHostname: "sftp.example.com"}))),
		},
		{
			name: "custom hostname tags left out of the spec are left alone, even with an empty tags map",
			spec: v1alpha1.TransferServerSpec{Tags: v1alpha1.Tags{}},
			observed: awsServer(observedTags(mergeTags(serverOwnerTags, map[string]string{
				TagCustomHostname: "sftp.example.com", TagRoute53HostedZoneID: "/hostedzone/Z1",
			}))),
			specChanged: true,
		},
	}
}

// TestPlanServerLeavesUnsetTagsAlone checks the promise that a field left out of the spec is
// neither sent nor diffed: without spec.tags the user tags already on a server (an adopted one)
// stay; an explicit empty map removes them.
func TestPlanServerLeavesUnsetTagsAlone(t *testing.T) {
	observed := awsServer(func(d *types.DescribedServer) {
		d.Tags = tagList(serverOwnerTags, map[string]string{"Name": "legacy", "cost-center": "42"})
	})
	for _, tc := range []struct {
		name       string
		tags       v1alpha1.Tags
		wantRemove []string
	}{
		{name: "tags unset", tags: nil},
		{name: "tags empty", tags: v1alpha1.Tags{}, wantRemove: []string{"Name", "cost-center"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := PlanServer(desiredServer(v1alpha1.TransferServerSpec{Tags: tc.tags}), observed, true)
			if diff := cmp.Diff(tc.wantRemove, p.RemoveTags, equateEmpty); diff != "" {
				t.Errorf("RemoveTags (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPlanServerConvergesWithinUpdateServerRules checks that applying the plans pass after pass,
// as the reconciler does (Update while the server runs, then OfflineUpdate while it is
// stopped), never sends a request AWS rejects and reaches the spec within three passes.
func TestPlanServerConvergesWithinUpdateServerRules(t *testing.T) {
	for _, tc := range []struct {
		name     string
		spec     v1alpha1.TransferServerSpec
		observed *Server
	}{
		{name: "PUBLIC to VPC", spec: vpcSpec(subnets12, nil), observed: awsServer()},
		{name: "PUBLIC to VPC with Elastic IPs", spec: vpcSpec(subnets12, eips12), observed: awsServer()},
		{
			name: "VPC_ENDPOINT to VPC",
			spec: vpcSpec(subnets12, nil),
			observed: awsServer(func(d *types.DescribedServer) {
				d.EndpointType = types.EndpointTypeVpcEndpoint
				d.EndpointDetails = &types.EndpointDetails{VpcEndpointId: aws.String("vpce-0000000000legacy")}
			}),
		},
		{
			name: "VPC_ENDPOINT to VPC with the old endpoint left in the spec",
			spec: func() v1alpha1.TransferServerSpec {
				s := vpcSpec(subnets12, nil)
				s.EndpointDetails.VpcEndpointID = "vpce-0000000000legacy"
				return s
			}(),
			observed: awsServer(func(d *types.DescribedServer) {
				d.EndpointType = types.EndpointTypeVpcEndpoint
				d.EndpointDetails = &types.EndpointDetails{VpcEndpointId: aws.String("vpce-0000000000legacy")}
			}),
		},
		{name: "VPC to PUBLIC", spec: v1alpha1.TransferServerSpec{EndpointType: "PUBLIC"}, observed: awsServer(vpcEndpoint(subnets12, nil))},
		{name: "Elastic IPs changed", spec: vpcSpec(subnets12, eips34), observed: awsServer(vpcEndpoint(subnets12, eips12))},
		{name: "Elastic IPs added", spec: vpcSpec(subnets12, eips12), observed: awsServer(vpcEndpoint(subnets12, []string{}))},
		{
			name:     "subnets and Elastic IPs added together",
			spec:     vpcSpec(subnets34, eips12),
			observed: awsServer(vpcEndpoint(subnets12, []string{})),
		},
		{
			name:     "subnets changed on a server with Elastic IPs",
			spec:     vpcSpec(subnets34, eips34),
			observed: awsServer(vpcEndpoint(subnets12, eips12)),
		},
		{
			name:     "security groups changed on a VPC server",
			spec:     vpcSpec(subnets12, eips12),
			observed: awsServer(vpcEndpoint(subnets12, eips12)),
		},
		{
			name:     "ipAddressType changed",
			spec:     v1alpha1.TransferServerSpec{IPAddressType: "DUALSTACK"},
			observed: awsServer(),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := desiredServer(tc.spec)
			srv := tc.observed.described
			for pass := 1; pass <= 3; pass++ {
				p := PlanServer(d, serverFromDescribed(&srv), true)
				if p.InSync() {
					break
				}
				for _, u := range []struct {
					update  ServerUpdate
					offline bool
				}{{p.Update, false}, {p.OfflineUpdate, true}} {
					if u.update.IsEmpty() {
						continue
					}
					in := u.update.updateServerInput(testServerID)
					if err := updateServerRules(&srv, in, u.offline); err != nil {
						t.Fatalf("pass %d: %s update %v rejected: %v", pass, map[bool]string{false: "online", true: "OFFLINE"}[u.offline], u.update.Fields, err)
					}
					applyServerUpdate(&srv, in)
				}
			}
			if p := PlanServer(d, serverFromDescribed(&srv), true); !p.InSync() {
				t.Errorf("not in sync after 3 passes: changed %v, deferred %v", p.Changed, p.Deferred)
			}
		})
	}
}

// updateServerRules returns why AWS rejects the UpdateServer request in for server d, or nil.
// The rules are those of the SDK's UpdateServer and EndpointDetails documentation and the AWS
// errors the Terraform provider works around.
func updateServerRules(d *types.DescribedServer, in *transfer.UpdateServerInput, offline bool) error {
	newType := stdcmp.Or(in.EndpointType, d.EndpointType)
	typeChanging := newType != d.EndpointType
	if typeChanging && !offline {
		return fmt.Errorf("Server must be OFFLINE to change EndpointType")
	}
	if in.IpAddressType != "" && in.IpAddressType != d.IpAddressType && !offline {
		return fmt.Errorf("Server must be OFFLINE to change IpAddressType")
	}
	e := in.EndpointDetails
	if e == nil {
		return nil
	}
	old := d.EndpointDetails
	if old == nil {
		old = &types.EndpointDetails{}
	}
	if len(e.SecurityGroupIds) > 0 && !(typeChanging && newType == types.EndpointTypeVpc) {
		return fmt.Errorf("Changing Security Group is not supported")
	}
	if newType == types.EndpointTypeVpc && e.VpcEndpointId != nil && (typeChanging || aws.ToString(e.VpcEndpointId) != aws.ToString(old.VpcEndpointId)) {
		return fmt.Errorf("VPC Endpoint ID unsupported for EndpointType: VPC")
	}
	if typeChanging && len(e.AddressAllocationIds) > 0 {
		return fmt.Errorf("Cannot specify AddressAllocationIds when updating server to EndpointType: VPC")
	}
	subnetsChanging := e.SubnetIds != nil && !sameSet(e.SubnetIds, old.SubnetIds)
	eipsChanging := e.AddressAllocationIds != nil && !sameSet(e.AddressAllocationIds, old.AddressAllocationIds)
	if subnetsChanging && len(old.AddressAllocationIds) > 0 {
		return fmt.Errorf("AddressAllocationIds must be removed before SubnetIds can be modified")
	}
	if eipsChanging && !offline {
		return fmt.Errorf("Server must be OFFLINE to change AddressAllocationIds")
	}
	if eipsChanging && len(e.AddressAllocationIds) > 0 && (subnetsChanging || len(old.SubnetIds) == 0) {
		return fmt.Errorf("the server must already have SubnetIds: SubnetIds and AddressAllocationIds cannot be updated together")
	}
	return nil
}

// applyServerUpdate changes d as AWS does for the endpoint and IP settings of in: a server that
// becomes VPC gets a VPC endpoint AWS creates.
func applyServerUpdate(d *types.DescribedServer, in *transfer.UpdateServerInput) {
	if in.EndpointType != "" && in.EndpointType != d.EndpointType {
		d.EndpointType = in.EndpointType
		switch d.EndpointType {
		case types.EndpointTypePublic:
			d.EndpointDetails = nil
		case types.EndpointTypeVpc:
			d.EndpointDetails = &types.EndpointDetails{VpcEndpointId: aws.String("vpce-00000000createdbyaws"), AddressAllocationIds: []string{}}
		}
	}
	if e := in.EndpointDetails; e != nil && d.EndpointType != types.EndpointTypePublic {
		if d.EndpointDetails == nil {
			d.EndpointDetails = &types.EndpointDetails{AddressAllocationIds: []string{}}
		}
		got := d.EndpointDetails
		got.VpcId = stdcmp.Or(e.VpcId, got.VpcId)
		got.VpcEndpointId = stdcmp.Or(e.VpcEndpointId, got.VpcEndpointId)
		if e.SubnetIds != nil {
			got.SubnetIds = slices.Clone(e.SubnetIds)
		}
		if e.AddressAllocationIds != nil {
			got.AddressAllocationIds = slices.Clone(e.AddressAllocationIds)
		}
	}
	if in.IpAddressType != "" {
		d.IpAddressType = in.IpAddressType
	}
}

// TestCreateServerInput checks that CreateServer carries exactly the fields the spec sets, the
// host key, and the spec's tags merged with the bookkeeping tags.
func TestCreateServerInput(t *testing.T) {
	full := v1alpha1.TransferServerSpec{
		Domain:               "S3",
		Protocols:            []v1alpha1.Protocol{"SFTP", "FTPS"},
		EndpointType:         "VPC",
		EndpointDetails:      &v1alpha1.EndpointDetails{VpcID: "vpc-1", SubnetIDs: subnets12, SecurityGroupIDs: []v1alpha1.SecurityGroupID{"sg-0123456789abcdef0"}},
		IPAddressType:        "IPV4",
		IdentityProviderType: "AWS_LAMBDA",
		IdentityProviderDetails: &v1alpha1.IdentityProviderDetails{
			Function: testLambda, SftpAuthenticationMethods: "PUBLIC_KEY",
		},
		Certificate:                   testCert,
		LoggingRole:                   testRole,
		StructuredLogDestinations:     []v1alpha1.LogDestinationARN{testLog1},
		SecurityPolicyName:            "TransferSecurityPolicy-2024-01",
		PreAuthenticationLoginBanner:  "pre",
		PostAuthenticationLoginBanner: "post",
		ProtocolDetails:               &v1alpha1.ProtocolDetails{PassiveIP: "203.0.113.10", TLSSessionResumptionMode: "ENFORCED", SetStatOption: "ENABLE_NO_OP", As2Transports: []string{"HTTP"}},
		S3StorageOptions:              &v1alpha1.S3StorageOptions{DirectoryListingOptimization: "ENABLED"},
		WorkflowDetails: &v1alpha1.WorkflowDetails{
			OnUpload: []v1alpha1.WorkflowDetail{{WorkflowID: testWorkflow1, ExecutionRole: testRole}},
		},
		Tags: v1alpha1.Tags{"team": "a"},
	}
	for _, tc := range []struct {
		name    string
		spec    v1alpha1.TransferServerSpec
		hostKey Sensitive
		owner   map[string]string
		want    *transfer.CreateServerInput
	}{
		{
			name:  "empty spec sends only the bookkeeping tags",
			owner: serverOwnerTags,
			want:  &transfer.CreateServerInput{Tags: tagList(serverOwnerTags)},
		},
		{
			name:  "spec tags are merged with the bookkeeping tags, sorted by key",
			spec:  v1alpha1.TransferServerSpec{Tags: v1alpha1.Tags{"zone": "z", "app": "a"}},
			owner: serverOwnerTags,
			want: &transfer.CreateServerInput{Tags: []types.Tag{
				{Key: aws.String("app"), Value: aws.String("a")},
				{Key: aws.String(TagOwner), Value: aws.String("TransferServer/team-a/sftp")},
				{Key: aws.String(TagOwnerUID), Value: aws.String("uid-server")},
				{Key: aws.String("zone"), Value: aws.String("z")},
			}},
		},
		{
			name:    "host key is sent when set",
			hostKey: "HOST-KEY",
			want:    &transfer.CreateServerInput{HostKey: aws.String("HOST-KEY"), Tags: []types.Tag{}},
		},
		{
			name:    "every field the spec sets is sent",
			spec:    full,
			hostKey: "HOST-KEY",
			owner:   serverOwnerTags,
			want: &transfer.CreateServerInput{
				Domain:               types.DomainS3,
				Protocols:            []types.Protocol{"SFTP", "FTPS"},
				EndpointType:         types.EndpointTypeVpc,
				EndpointDetails:      &types.EndpointDetails{VpcId: aws.String("vpc-1"), SubnetIds: subnets12, SecurityGroupIds: sg},
				IpAddressType:        types.IpAddressTypeIpv4,
				IdentityProviderType: types.IdentityProviderTypeAwsLambda,
				IdentityProviderDetails: &types.IdentityProviderDetails{
					Function: aws.String(testLambda), SftpAuthenticationMethods: types.SftpAuthenticationMethodsPublicKey,
				},
				HostKey:                       aws.String("HOST-KEY"),
				Certificate:                   aws.String(testCert),
				LoggingRole:                   aws.String(testRole),
				StructuredLogDestinations:     []string{testLog1},
				SecurityPolicyName:            aws.String("TransferSecurityPolicy-2024-01"),
				PreAuthenticationLoginBanner:  aws.String("pre"),
				PostAuthenticationLoginBanner: aws.String("post"),
				ProtocolDetails: &types.ProtocolDetails{
					PassiveIp: aws.String("203.0.113.10"), TlsSessionResumptionMode: types.TlsSessionResumptionModeEnforced,
					SetStatOption: types.SetStatOptionEnableNoOp, As2Transports: []types.As2Transport{types.As2TransportHttp},
				},
				S3StorageOptions: &types.S3StorageOptions{DirectoryListingOptimization: types.DirectoryListingOptimizationEnabled},
				WorkflowDetails: &types.WorkflowDetails{OnUpload: []types.WorkflowDetail{
					{WorkflowId: aws.String(testWorkflow1), ExecutionRole: aws.String(testRole)},
				}},
				Tags: tagList(map[string]string{"team": "a"}, serverOwnerTags),
			},
		},
		{
			name:  "custom hostname tags are not sent at create: the next pass sets them with TagResource",
			spec:  v1alpha1.TransferServerSpec{CustomHostname: &v1alpha1.CustomHostname{Hostname: "sftp.example.com", Route53HostedZoneID: "/hostedzone/Z1"}},
			owner: serverOwnerTags,
			want:  &transfer.CreateServerInput{Tags: tagList(serverOwnerTags)},
		},
		{
			name:  "Elastic IPs are not sent at create: AWS takes them only in UpdateServer",
			spec:  vpcSpec(subnets12, eips12),
			owner: serverOwnerTags,
			want: &transfer.CreateServerInput{
				EndpointType:    types.EndpointTypeVpc,
				EndpointDetails: &types.EndpointDetails{VpcId: aws.String("vpc-1"), SubnetIds: subnets12, SecurityGroupIds: sg},
				Tags:            tagList(serverOwnerTags),
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := createServerInput(DesiredServer{Spec: &tc.spec, HostKey: tc.hostKey, OwnerTags: tc.owner})
			if diff := cmp.Diff(tc.want, got, sdkOpts); diff != "" {
				t.Errorf("CreateServerInput (-want +got):\n%s", diff)
			}
		})
	}
}

// TestServerFromDescribed checks that a described server is reduced to its identity, state,
// fingerprint, user count and tags.
func TestServerFromDescribed(t *testing.T) {
	got := awsServer(func(d *types.DescribedServer) { d.UserCount = aws.Int32(3) })
	want := &Server{
		ID: testServerID, ARN: testServerARN, State: StateOnline, HostKeyFingerprint: "SHA256:generatedByAWS",
		UserCount: aws.Int32(3), Tags: mergeTags(serverOwnerTags, map[string]string{awsStackTag: "infra"}),
	}
	if diff := cmp.Diff(want, got, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".described" }, cmp.Ignore())); diff != "" {
		t.Errorf("Server (-want +got):\n%s", diff)
	}
	if got, want := got.Endpoint("eu-west-1"), testServerID+".server.transfer.eu-west-1.amazonaws.com"; got != want {
		t.Errorf("Endpoint() = %q, want %q", got, want)
	}
}

func TestServerPlanAfterCreateOnly(t *testing.T) {
	for _, tc := range []struct {
		changed []string
		want    bool
	}{
		{nil, true},
		{[]string{"customHostname"}, true},
		{[]string{"customHostname", "endpointDetails.addressAllocationIds"}, true},
		{[]string{"customHostname", "identityProviderDetails.directoryId"}, false},
		{[]string{"tags"}, false},
	} {
		if got := (ServerPlan{Changed: tc.changed}).AfterCreateOnly(); got != tc.want {
			t.Errorf("AfterCreateOnly() of %v = %v, want %v", tc.changed, got, tc.want)
		}
	}
}
