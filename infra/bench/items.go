package main

import (
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"imusers/shared/store"
)

// units are capacity units, read and write.
type units struct {
	Read  float64 `json:"read"`
	Write float64 `json:"write"`
}

// touch is one item a DynamoDB call read or wrote: the capacity model adds a call's units up by
// item kind (store.KindOf) and by the index partitions the write reaches, to find the hottest
// item of each kind.
type touch struct {
	key     map[string]types.AttributeValue
	names   []string // attributes the write names (a put's attributes, an update's expression)
	deletes bool
	updates bool // an update: it changes only the attributes it names
}

// Index partitions as the capacity model names them.
const (
	partBanShard     = "ban index"
	partDeactShard   = "deactivated index"
	partDevUsers     = "development users index"
	partLists        = "list index"
	partFriendsAsc   = "ascending friend index"
	partOtherIndexed = "other index"
)

// indexedIn is where an existing item of kind has copies: writing or deleting it writes them too.
var indexedIn = map[string][]string{
	store.KindBan:           {store.IndexBanned},
	store.KindFriendEntry:   {store.IndexLists, store.IndexFriendsAsc},
	store.KindFriendCounter: {store.IndexLists, store.IndexFriendsAsc},
	store.KindListEntry:     {store.IndexLists},
}

// smallCopy is what the index copy of an item of kind costs a write where it is at most 1 KB
// whatever the item's size: a friend counter's copies are its keys and total, while the item
// itself also holds the marks of changes in flight.
func smallCopy(kind string, itemUnits float64) float64 {
	if kind == store.KindFriendCounter {
		return 1
	}
	return itemUnits
}

// partitionOf names the index partition an item of kind lands in in index.
func partitionOf(index, kind string) string {
	switch {
	case index == store.IndexBanned && kind == store.KindBan:
		return partBanShard
	case index == store.IndexDeactivated && kind == store.KindProfile:
		return partDeactShard
	case index == store.IndexDevUsers:
		return partDevUsers
	case index == store.IndexLists:
		return partLists
	case index == store.IndexFriendsAsc:
		return partFriendsAsc
	}
	return partOtherIndexed
}

// movesSortKey: a write of kind that names index's sort key moves the item in the index (a
// ban's end time, a deactivation's time), which costs the index a delete and a put.
func movesSortKey(kind string, names []string, indexSK string) bool {
	return (kind == store.KindBan || kind == store.KindProfile) && slices.Contains(names, indexSK)
}

// indexWrites are the index partitions a write of t reaches, each with the multiple of the
// item's write units it costs there. An update that names neither an index's keys nor an
// attribute the index projects (store.Indexes) leaves the index alone.
func (t touch) indexWrites() map[string]float64 {
	kind := store.KindOf(t.key)
	out := map[string]float64{}
	for _, ix := range store.Indexes {
		named := slices.Contains(t.names, ix.PK) || slices.Contains(t.names, ix.SK)
		if !named && !slices.Contains(indexedIn[kind], ix.Name) {
			continue
		}
		if t.updates && !named && !slices.ContainsFunc(t.names, func(n string) bool { return slices.Contains(ix.Projected, n) }) {
			continue
		}
		n := 1.0
		if !t.deletes && movesSortKey(kind, t.names, ix.SK) {
			n = 2
		}
		out[partitionOf(ix.Name, kind)] += n
	}
	return out
}

// itemUse adds up units by item kind and by index partition, and counts the distinct items of
// each kind and the calls that touched one, so that the units one item takes can be told from
// the units of its kind.
type itemUse struct {
	Kinds    map[string]units   `json:"byItemKind,omitempty"`
	Items    map[string]float64 `json:"distinctItems,omitempty"`
	Touching map[string]float64 `json:"callsTouching,omitempty"`
	Indexes  map[string]float64 `json:"indexWriteUnits,omitempty"`
	seen     map[string]bool
}

func (u *itemUse) init() {
	if u.Kinds == nil {
		u.Kinds, u.Items, u.Touching, u.Indexes, u.seen = map[string]units{}, map[string]float64{}, map[string]float64{}, map[string]float64{}, map[string]bool{}
	}
}

// count counts the item of t once.
func (u *itemUse) count(kind string, t touch) {
	if t.key == nil {
		return
	}
	id := kind
	for _, a := range []string{store.AttrPK, store.AttrSK} {
		if v, ok := t.key[a].(*types.AttributeValueMemberS); ok {
			id += "\x00" + v.Value
		}
	}
	if !u.seen[id] {
		u.seen[id] = true
		if u.Items[kind] == 0 {
			u.Touching[kind]++
		}
		u.Items[kind]++
	}
}

// perItem is the units per call that one item of kind took: a call that touches the kind
// touches Items/Touching items of it, and the call's units of the kind are spread over them.
func (u itemUse) perItem(kind string) units {
	n := u.Items[kind]
	if n == 0 {
		return units{}
	}
	share := u.Touching[kind] / n
	k := u.Kinds[kind]
	return units{k.Read * share, k.Write * share}
}

// book spreads a call's units evenly over the items it touched (DynamoDB reports a batch's
// units as one total; every item the benchmark's calls touch is small, so each costs alike).
func (u *itemUse) book(ts []touch, isWrite bool, total float64) {
	if len(ts) == 0 || total == 0 {
		return
	}
	u.init()
	each := total / float64(len(ts))
	for _, t := range ts {
		kind := store.KindOf(t.key)
		u.count(kind, t)
		k := u.Kinds[kind]
		if !isWrite {
			k.Read += each
			u.Kinds[kind] = k
			continue
		}
		k.Write += each
		u.Kinds[kind] = k
		for part, n := range t.indexWrites() {
			u.Indexes[part] += n * smallCopy(kind, each)
		}
	}
}

// add adds v to u, scaled by f.
func (u *itemUse) add(v itemUse, f float64) {
	u.init()
	for k, x := range v.Items {
		u.Items[k] += x * f
	}
	for k, x := range v.Touching {
		u.Touching[k] += x * f
	}
	for k, x := range v.Kinds {
		y := u.Kinds[k]
		y.Read += x.Read * f
		y.Write += x.Write * f
		u.Kinds[k] = y
	}
	for k, x := range v.Indexes {
		u.Indexes[k] += x * f
	}
}

// Touches of each DynamoDB request the store makes.

func namesOfItem(it map[string]types.AttributeValue) []string {
	out := make([]string, 0, len(it))
	for n := range it {
		out = append(out, n)
	}
	return out
}

// namesOfUpdate lists the attribute names an update expression mentions, whether written out or
// through ExpressionAttributeNames.
func namesOfUpdate(expr string, aliases map[string]string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(expr, func(r rune) bool {
		return !(r == '#' || r == '_' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z')
	}) {
		if a, ok := aliases[w]; ok {
			w = a
		}
		out = append(out, w)
	}
	return out
}

func putTouch(in *dynamodb.PutItemInput) []touch {
	return []touch{{key: in.Item, names: namesOfItem(in.Item)}}
}

func updateTouch(in *dynamodb.UpdateItemInput) []touch {
	expr := ""
	if in.UpdateExpression != nil {
		expr = *in.UpdateExpression
	}
	return []touch{{key: in.Key, names: namesOfUpdate(expr, in.ExpressionAttributeNames), updates: true}}
}

func batchGetTouches(in *dynamodb.BatchGetItemInput) []touch {
	var out []touch
	for _, ka := range in.RequestItems {
		for _, k := range ka.Keys {
			out = append(out, touch{key: k})
		}
	}
	return out
}

func batchWriteTouches(in *dynamodb.BatchWriteItemInput) []touch {
	var out []touch
	for _, reqs := range in.RequestItems {
		for _, r := range reqs {
			switch {
			case r.PutRequest != nil:
				out = append(out, touch{key: r.PutRequest.Item, names: namesOfItem(r.PutRequest.Item)})
			case r.DeleteRequest != nil:
				out = append(out, touch{key: r.DeleteRequest.Key, deletes: true})
			}
		}
	}
	return out
}

// perCall is u over n calls.
func perCall(u itemUse, n float64) itemUse {
	var out itemUse
	out.add(u, 1/n)
	return out
}
