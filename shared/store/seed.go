package store

import (
	"context"
	"fmt"

	"imusers/shared/dynamo"
)

// SeedRelated writes n placeholder items under a user's partition, as many related items
// (entries, connections) would be. Tests and benchmarks use it to give erasure real volume.
func (st *Store) SeedRelated(ctx context.Context, app, user string, n int) error {
	reqs := make([]dynamo.WriteRequest, n)
	for i := range reqs {
		it := key(userPK(app, user), fmt.Sprintf("SEED#%06d", i))
		it["payload"] = s("placeholder")
		reqs[i] = dynamo.WriteRequest{PutRequest: &dynamo.PutRequest{Item: it}}
	}
	return st.batchWrite(ctx, reqs)
}
