package controllers

import (
	"cmp"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/transfer-operator/transfer-operator/api/v1alpha1"
	"github.com/transfer-operator/transfer-operator/internal/transfer"
)

// Where the operator runs changes (a Helm upgrade of aws.region, a new AWS_REGION); where an AWS
// resource lives does not. The region of each resource is recorded in status when it is created
// or adopted and used for every later call; an object that names no region is resolved to the
// default region only until then.

// recordedRegion returns the region recorded for an AWS resource: the status field, or for
// objects written before it existed, the region of the recorded ARN.
func recordedRegion(statusRegion, arn string) string {
	return cmp.Or(statusRegion, transfer.RegionOfARN(arn))
}

// noteLocation sets LocationChanged on obj when its resource was recorded in another region than
// the one the object resolves to today, and removes it when they agree.
func noteLocation(obj conditionsObject, what, recorded, resolved string) {
	if recorded == "" || resolved == "" || recorded == resolved {
		removeCondition(obj, v1alpha1.ConditionLocationChanged)
		return
	}
	setCondition(obj, v1alpha1.ConditionLocationChanged, metav1.ConditionTrue, v1alpha1.ReasonDefaultRegionChanged,
		fmt.Sprintf("%s lives in %s, where it was created or adopted; the operator's default region is now %s. It stays in %s and is managed there: to have a resource in %s, create another object with spec.region",
			what, recorded, resolved, recorded, resolved))
}
