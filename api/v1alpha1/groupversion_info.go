// Package v1alpha1 contains the transfer.operators.dev/v1alpha1 API: the declarative form of
// AWS Transfer Family servers (TransferServer), their users (TransferUser), the access of
// directory groups to them (TransferAccess) the managed workflows they run (TransferWorkflow), and
// the AWS accounts that serve namespaces (AWSAccount).
// +kubebuilder:object:generate=true
// +groupName=transfer.operators.dev
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of every kind in this package.
	GroupVersion = schema.GroupVersion{Group: "transfer.operators.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the kinds of this package with a runtime.Scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the kinds of this package to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(scheme *runtime.Scheme) error {
	scheme.AddKnownTypes(GroupVersion,
		&TransferServer{}, &TransferServerList{},
		&TransferUser{}, &TransferUserList{},
		&TransferAccess{}, &TransferAccessList{},
		&TransferWorkflow{}, &TransferWorkflowList{},
		&TransferConnector{}, &TransferConnectorList{},
		&AWSAccount{}, &AWSAccountList{},
	)
	metav1.AddToGroupVersion(scheme, GroupVersion)
	return nil
}
