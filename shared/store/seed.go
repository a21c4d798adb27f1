package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// SeedRelated writes n placeholder items under a user's partition, as many related items
// (entries, connections) would be. Tests and benchmarks use it to give erasure real volume.
func (st *Store) SeedRelated(ctx context.Context, app, user string, n int) error {
	type seedItem struct {
		itemKey
		Payload string `dynamodbav:"payload"`
	}
	reqs := make([]types.WriteRequest, n)
	for i := range reqs {
		req, err := putRequest(seedItem{key(userPK(app, user), fmt.Sprintf("SEED#%06d", i)), "placeholder"})
		if err != nil {
			return err
		}
		reqs[i] = req
	}
	return st.batchWrite(ctx, reqs)
}
