package controllers_test

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
)

func newUser(ns, name, server string, mutate func(*v1alpha1.TransferUserSpec)) *v1alpha1.TransferUser {
	u := &v1alpha1.TransferUser{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       v1alpha1.TransferUserSpec{ServerRef: &v1alpha1.LocalObjectReference{Name: server}, Role: roleARN},
	}
	if mutate != nil {
		mutate(&u.Spec)
	}
	return u
}
