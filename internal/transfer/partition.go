package transfer

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
)

// defaultDNSSuffix is the DNS suffix of the aws partition, which the SDK's endpoint rules also
// give a region they do not know.
const defaultDNSSuffix = "amazonaws.com"

// DNSSuffix returns the DNS suffix of the partition region belongs to: amazonaws.com for the
// commercial regions and GovCloud (US), amazonaws.com.cn for China, and the suffixes of the other
// partitions. It is read from the SDK's own endpoint rules for Transfer, which resolve
// transfer.REGION.SUFFIX from the partition metadata the SDK ships, so no table is kept here.
func DNSSuffix(region string) string {
	ep, err := transfer.NewDefaultEndpointResolverV2().ResolveEndpoint(context.Background(), transfer.EndpointParameters{Region: aws.String(region)})
	if err != nil {
		return defaultDNSSuffix
	}
	suffix, ok := strings.CutPrefix(ep.URI.Hostname(), "transfer."+region+".")
	if !ok || suffix == "" {
		return defaultDNSSuffix
	}
	return suffix
}
