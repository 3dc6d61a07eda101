package controllers

import "testing"

func TestRegionOfARN(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:transfer:eu-west-1:111122223333:server/s-0123456789abcdef0":     "eu-west-1",
		"arn:aws-cn:transfer:cn-north-1:111122223333:user/s-0123456789abcdef0/a": "cn-north-1",
		"arn:aws:iam::111122223333:role/transfer":                                "",
		"s-0123456789abcdef0": "",
		"":                    "",
	} {
		if got := regionOfARN(arn); got != want {
			t.Errorf("regionOfARN(%q) = %q, want %q", arn, got, want)
		}
	}
}
