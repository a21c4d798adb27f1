package store

import (
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
)

// The key builder writes the SDK's values itself; they must be what attributevalue makes of
// the tagged key struct, which reads them back.
func TestKeyIsWhatAttributevalueMakes(t *testing.T) {
	k := presenceKey("app", "alice")
	want, err := attributevalue.MarshalMap(k)
	if err != nil {
		t.Fatal(err)
	}
	if got := k.av(); !reflect.DeepEqual(got, want) {
		t.Fatalf("av() = %#v, want %#v", got, want)
	}
	back, err := keyOf(k.av())
	if err != nil || back != k {
		t.Fatalf("keyOf(av()) = %v, %v; want %v", back, err, k)
	}
}
