package emulator

import (
	"fmt"
	"strings"
)

// arn is the ARN of a resource of the account in regionName; resource is its resource type and
// IDs as the Service Authorization Reference for AWS Transfer Family names them: "server/s-...",
// "user/s-.../alice", "workflow/w-...", "host-key/s-.../hostkey-...".
func (e *Emulator) arn(regionName, resource string) string {
	return fmt.Sprintf("arn:%s:transfer:%s:%s:%s", partition(regionName), regionName, e.accountID, resource)
}

// partition is the ARN partition of a region.
func partition(regionName string) string {
	switch {
	case strings.HasPrefix(regionName, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(regionName, "us-gov-"):
		return "aws-us-gov"
	default:
		return "aws"
	}
}
