package emulator_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/transfer"
	"github.com/aws/aws-sdk-go-v2/service/transfer/types"

	"github.com/transfer-operator/transfer-operator/internal/emulator"
)

// TestConcurrentClients runs clients in parallel against one server (run it
// with -race to check the emulator's locking).
func TestConcurrentClients(t *testing.T) {
	srv := startEmulator(t, emulator.Options{})
	c := newClient(srv.URL(), testRegion, noRetries)
	serverID := createServer(t, c, nil)
	arn := describeServer(t, c, serverID).Arn
	const workers, perWorker = 6, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker*4)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := ctxT(t)
			for i := range perWorker {
				name := aws.String(fmt.Sprintf("w%d-user%02d", w, i))
				_, err := c.CreateUser(ctx, &transfer.CreateUserInput{ServerId: aws.String(serverID), UserName: name, Role: aws.String(testRole)})
				errs <- err
				_, err = c.DescribeUser(ctx, &transfer.DescribeUserInput{ServerId: aws.String(serverID), UserName: name})
				errs <- err
				_, err = c.ListUsers(ctx, &transfer.ListUsersInput{ServerId: aws.String(serverID), MaxResults: aws.Int32(7)})
				errs <- err
				_, err = c.TagResource(ctx, &transfer.TagResourceInput{Arn: arn, Tags: []types.Tag{{Key: aws.String(fmt.Sprint("w", w)), Value: name}}})
				errs <- err
				srv.Snapshot()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	s := describeServer(t, c, serverID)
	if aws.ToInt32(s.UserCount) != workers*perWorker || len(s.Tags) != workers {
		t.Errorf("UserCount %d, %d tags; want %d users and %d tags", aws.ToInt32(s.UserCount), len(s.Tags), workers*perWorker, workers)
	}
}
