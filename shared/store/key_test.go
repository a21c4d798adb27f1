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

// Every key the schema builds has the kind the capacity model books it under.
func TestKindOf(t *testing.T) {
	for _, c := range []struct {
		key  itemKey
		want string
	}{
		{userKey("app", "alice"), KindProfile},
		{banKey("app", "alice"), KindBan},
		{presenceKey("app", "alice"), KindPresence},
		{settingsKey("app"), KindSettings},
		{key(appPK("app"), skDevUsers), KindDevRegistry},
		{nonceKey("app", "n-1"), KindNonce},
		{key(userPK("app", "alice"), counterSK(Friends)), KindFriendCounter},
		{key(userPK("app", "alice"), counterSK(Blocklist)), KindListCounter},
		{key(userPK("app", "alice"), entrySK(Friends, "bob")), KindFriendEntry},
		{key(userPK("app", "alice"), entrySK(Whitelist, "bob")), KindListEntry},
		{key(userPK("app", "alice"), skHosted), KindHostedProfile},
		{key(userPK("app", "alice"), skTags), KindTags},
		{key(userPK("app", "alice"), "OTHER"), ""},
	} {
		if got := KindOf(c.key.av()); got != c.want {
			t.Errorf("KindOf(%v) = %q, want %q", c.key, got, c.want)
		}
	}
	if got := KindOf(item{}); got != "" {
		t.Errorf("KindOf(no key) = %q, want \"\"", got)
	}
}
