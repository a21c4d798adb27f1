package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Entry is one entry of a list.
type Entry struct {
	Target string
	At     int64 // ms
	// Friends only.
	Name   string // the friend's name when the friendship was made
	Remark string
	Ext    string
}

// EntryPage is one page of a list.
type EntryPage struct {
	Entries []Entry
	// Next is the position after the last entry when more may follow, "" at the end.
	Next string
	// Total is the friend count, read with a friend list's first page only (HasTotal).
	Total    int64
	HasTotal bool
}

// listedItem is what a list page reads of each item its Query returns: an entry of the list,
// or the counter item that heads a friend list (its total).
type listedItem struct {
	SK      string `dynamodbav:"SK"`
	At      int64  `dynamodbav:"at"`
	Name    string `dynamodbav:"name"`
	Remark  string `dynamodbav:"remarkName"`
	Profile string `dynamodbav:"friendExtProfile"`
	Total   int64  `dynamodbav:"total"`
}

// listedAttrs asks DynamoDB for listedItem's attributes only, those the list indexes project
// beside the table's sort key (not the index keys).
var listedAttrs = func() expression.Expression {
	expr, err := expression.NewBuilder().WithProjection(expression.NamesList(
		expression.Name(AttrSK), expression.Name(attrAt), expression.Name(attrName),
		expression.Name(attrRemark), expression.Name(attrExt), expression.Name(attrTotal),
	)).Build()
	if err != nil {
		panic(err) // fixed names always build
	}
	return expr
}()

// ListEntries returns up to limit entries of owner's list after the position after ("" from
// the start), in one Query: newest first, or oldest first (friends only) when ascending. A
// friend list's first page reads the count in the same Query: the counter item heads the scan.
func (st *Store) ListEntries(ctx context.Context, app, owner string, kind Kind, after string, limit int, ascending bool) (EntryPage, error) {
	index, pkAttr, skAttr := IndexLists, "GSI2PK", "GSI2SK"
	if ascending {
		if kind != Friends {
			return EntryPage{}, fmt.Errorf("only friends are listed oldest first")
		}
		index, pkAttr, skAttr = IndexFriendsAsc, "GSI3PK", "GSI3SK"
	}
	pk := listPK(app, owner, kind)
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(st.table),
		IndexName:                 aws.String(index),
		KeyConditionExpression:    aws.String(pkAttr + " = :pk"),
		ExpressionAttributeValues: values(map[string]any{":pk": pk}),
		ScanIndexForward:          aws.Bool(ascending),
		// One more than asked shows whether another page follows; on a friend list's first
		// page, one more again for the counter item that heads it.
		Limit:                    aws.Int32(int32(limit + 1)),
		ProjectionExpression:     listedAttrs.Projection(),
		ExpressionAttributeNames: listedAttrs.Names(),
	}
	first := after == ""
	if first && kind == Friends {
		in.Limit = aws.Int32(int32(limit + 2))
	}
	if !first {
		target, ok := cursorTarget(after)
		if !ok {
			return EntryPage{}, ErrBadCursor
		}
		// The entry's own key and its index key, as the page that ended there gave them.
		in.ExclusiveStartKey = values(map[string]any{
			AttrPK: userPK(app, owner), AttrSK: entrySK(kind, target),
			pkAttr: pk, skAttr: after,
		})
	}
	res, err := st.db.Query(ctx, in)
	if err != nil {
		return EntryPage{}, fmt.Errorf("list %s: %w", kind, err)
	}
	var items []listedItem
	if err := attributevalue.UnmarshalListOfMaps(res.Items, &items); err != nil {
		return EntryPage{}, fmt.Errorf("list %s: %w", kind, err)
	}
	// A friend list with no counter item has never had a friend: its count is 0.
	page := EntryPage{Entries: make([]Entry, 0, min(len(items), limit)), HasTotal: first && kind == Friends}
	more := false
	counter, entryPrefix := counterSK(kind), entrySK(kind, "")
	for _, it := range items {
		if it.SK == counter {
			page.Total = it.Total
			continue
		}
		if len(page.Entries) == limit {
			more = true
			break
		}
		page.Entries = append(page.Entries, Entry{
			Target: strings.TrimPrefix(it.SK, entryPrefix),
			At:     it.At,
			Name:   it.Name,
			Remark: it.Remark,
			Ext:    it.Profile,
		})
	}
	// More follows when an entry beyond the page came back, or when DynamoDB stopped early
	// (its 1 MB limit) with entries still unread.
	if n := len(page.Entries); n > 0 && (more || res.LastEvaluatedKey != nil) {
		last := page.Entries[n-1]
		page.Next = timeKey(last.At, last.Target)
	}
	return page, nil
}

// cursorTarget checks a list position ("<13-digit ms>#<target>") and returns its target.
func cursorTarget(c string) (string, bool) {
	ms, target, ok := strings.Cut(c, "#")
	if !ok || len(ms) != 13 || target == "" || len(target) > 64 || strings.Contains(target, "#") {
		return "", false
	}
	if _, err := strconv.ParseUint(ms, 10, 64); err != nil {
		return "", false
	}
	return target, true
}
