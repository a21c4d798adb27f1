package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// API Gateway closes a WebSocket connection after this long in total, or after this long
// without a message from the client. A recorded connection past either limit is gone, whether
// or not its $disconnect ever arrived.
const (
	ConnectionMaxAge = 2 * time.Hour
	ConnectionIdle   = 10 * time.Minute
)

// SeenRefresh is how stale a connection's recorded last-seen time may be: client frames write
// it at most this often (users.Service.Heard), so an open connection's last frame is at most
// SeenRefresh after it, and a recorded connection counts until ConnectionIdle + SeenRefresh
// past it. A connection whose $disconnect never came counts that long after its last frame.
const SeenRefresh = 3 * time.Minute

// MaxConnectionID bounds the connection ids the store accepts (API Gateway's are 16 characters).
const MaxConnectionID = 128

// Conn is one recorded connection of a user.
type Conn struct {
	ID          string
	ConnectedAt int64 // ms
	LastSeen    int64 // ms; the connect or the latest frame that wrote it (SeenRefresh)
}

// Live reports whether the connection can still be open at now (ms).
func (c Conn) Live(now int64) bool {
	return now < c.ConnectedAt+ConnectionMaxAge.Milliseconds() && now < c.LastSeen+(ConnectionIdle+SeenRefresh).Milliseconds()
}

// Live returns the connections of conns that can still be open at now (ms).
func Live(conns []Conn, now int64) []Conn {
	var out []Conn
	for _, c := range conns {
		if c.Live(now) {
			out = append(out, c)
		}
	}
	return out
}

// MaxConnections is how many connections one user may have recorded at once (lapsed ones that
// the next connect clears included): a presence item of that many stays far below DynamoDB's
// 400 KB (about 17 KB with the longest connection ids), and a message's read of it small.
const MaxConnections = 100

// ErrTooManyConnections refuses a connect of a user who has MaxConnections open already.
var ErrTooManyConnections = errors.New("the user has the most connections allowed open")

// The presence item holds all of a user's connections, one attribute each, so that one GetItem
// answers whether a user is online and one BatchGetItem answers it for 100 users; a count
// beside them, changed in the same writes, caps them. Its TTL is the latest connect plus the
// maximum connection time: by then every connection in it has lapsed.
const (
	attrConnCount  = "n"
	connAttrPrefix = "c:"
	connLastSeen   = "seen" // connTimes.LastSeen
	// attrLatestConnect names the connection of the latest connect's write, so that a refused
	// connect can tell whether the item it would delete has gained a connection since.
	attrLatestConnect = "latest"
)

func presenceKey(app, user string) itemKey { return key(userPK(app, user), skPresence) }

// connTimes is the value of one connection's attribute.
type connTimes struct {
	ConnectedAt int64 `dynamodbav:"at"`
	LastSeen    int64 `dynamodbav:"seen"`
}

func connAttr(id string) string { return connAttrPrefix + id }

func checkConnID(id string) error {
	if id == "" || len(id) > MaxConnectionID {
		return fmt.Errorf("connection id must be 1..%d bytes", MaxConnectionID)
	}
	return nil
}

// connsFrom reads the connections of a presence item: one attribute each, named by its id.
func connsFrom(it item) ([]Conn, error) {
	var out []Conn
	for name, v := range it {
		id, ok := strings.CutPrefix(name, connAttrPrefix)
		if _, isMap := v.(*types.AttributeValueMemberM); !ok || !isMap {
			continue
		}
		var t connTimes
		if err := attributevalue.Unmarshal(v, &t); err != nil {
			return nil, fmt.Errorf("read connection %s: %w", id, err)
		}
		out = append(out, Conn{ID: id, ConnectedAt: t.ConnectedAt, LastSeen: t.LastSeen})
	}
	return out, nil
}

// Recorded is a connection as Record stored it: what Withdraw needs to take it back.
type Recorded struct {
	App, User, ConnID string
	// alone: the connect's write left no other connection in the user's presence item, so the
	// item may be the connect's own creation.
	alone bool
}

// Connect records an open connection of user at now (ms); see Record.
func (st *Store) Connect(ctx context.Context, app, user, connID string, now int64) error {
	_, err := st.Record(ctx, app, user, connID, now)
	return err
}

// Record records a connection of user at now (ms), in one write. Connections of the user that
// have lapsed without a $disconnect are cleared by a second write, only when there are any.
// A user who has MaxConnections recorded already is refused with ErrTooManyConnections, and
// nothing is stored; when lapsed connections fill it, they are cleared first (a strong read
// and a write) and the record tried once more.
func (st *Store) Record(ctx context.Context, app, user, connID string, now int64) (Recorded, error) {
	e := Recorded{App: app, User: user, ConnID: connID}
	if err := checkConnID(connID); err != nil {
		return e, err
	}
	conns, err := st.record(ctx, e, now)
	if isConditionFailed(err) {
		conns, err = st.recordAfterClearing(ctx, e, now)
	}
	if err != nil {
		return e, err
	}
	e.alone = len(conns) == 1
	_, err = st.clearLapsed(ctx, app, user, conns, now)
	return e, err
}

// record writes the connection into the user's presence item and counts it, unless the item
// counts MaxConnections already or records this connection already; it returns the item's
// connections after the write.
func (st *Store) record(ctx context.Context, e Recorded, now int64) ([]Conn, error) {
	expires := (now+ConnectionMaxAge.Milliseconds())/1000 + 1
	res, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(st.table),
		Key:                 presenceKey(e.App, e.User).av(),
		UpdateExpression:    aws.String("SET #c = :conn, #ttl = :exp, #latest = :id ADD #n :one"),
		ConditionExpression: aws.String("attribute_not_exists(#c) AND (attribute_not_exists(#n) OR #n < :max)"),
		ExpressionAttributeNames: map[string]string{"#c": connAttr(e.ConnID), "#ttl": AttrTTL,
			"#latest": attrLatestConnect, "#n": attrConnCount},
		ExpressionAttributeValues: values(map[string]any{
			":conn": connTimes{ConnectedAt: now, LastSeen: now},
			":exp":  expires,
			":id":   e.ConnID,
			":one":  1,
			":max":  MaxConnections,
		}),
		ReturnValues: types.ReturnValueAllNew,
	})
	if isConditionFailed(err) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("record connection: %w", err)
	}
	conns, err := connsFrom(res.Attributes)
	if err != nil {
		return nil, fmt.Errorf("record connection: %w", err)
	}
	return conns, nil
}

// recordAfterClearing follows a refused record. When the connection is recorded already, at
// now, the refusal was the SDK's retry of a write that had landed (its answer lost), and the
// connect stands. Otherwise it clears the lapsed connections of the full item and records the
// connection once more; ErrTooManyConnections when none had lapsed or it is still full.
func (st *Store) recordAfterClearing(ctx context.Context, e Recorded, now int64) ([]Conn, error) {
	conns, err := st.Connections(ctx, e.App, e.User, Strong)
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(conns, func(c Conn) bool { return c.ID == e.ConnID && c.ConnectedAt == now }) {
		return conns, nil
	}
	cleared, err := st.clearLapsed(ctx, e.App, e.User, conns, now)
	if err != nil {
		return nil, err
	}
	if !cleared {
		return nil, ErrTooManyConnections
	}
	conns, err = st.record(ctx, e, now)
	if isConditionFailed(err) {
		return nil, ErrTooManyConnections
	}
	return conns, err
}

// clearLapsed removes the connections of conns that have lapsed at now, in one write, and
// uncounts them; it reports whether there were any and they were removed. When one of them is
// gone already (its $disconnect came meanwhile) nothing is removed: the next connect clears them.
func (st *Store) clearLapsed(ctx context.Context, app, user string, conns []Conn, now int64) (bool, error) {
	names := map[string]string{"#n": attrConnCount}
	var removes, exist []string
	for _, c := range conns {
		if c.Live(now) {
			continue
		}
		ref := fmt.Sprintf("#s%d", len(removes))
		names[ref] = connAttr(c.ID)
		removes = append(removes, ref)
		exist = append(exist, "attribute_exists("+ref+")")
	}
	if len(removes) == 0 {
		return false, nil
	}
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       presenceKey(app, user).av(),
		UpdateExpression:          aws.String("REMOVE " + strings.Join(removes, ", ") + " ADD #n :minus"),
		ConditionExpression:       aws.String(strings.Join(exist, " AND ")),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values(map[string]any{":minus": -len(removes)}),
	})
	switch {
	case isConditionFailed(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("clear lapsed connections: %w", err)
	}
	return true, nil
}

// Withdraw takes back a connection Record stored for a connect that was then refused, so that
// the refusal leaves nothing behind: the whole item when the connect created it and no connect
// came since, else only the connection. One write, two when another connect came in between.
func (st *Store) Withdraw(ctx context.Context, e Recorded) error {
	if e.alone {
		_, err := st.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName: aws.String(st.table),
			Key:       presenceKey(e.App, e.User).av(),
			// Another connect since then names itself here, and its connection must stay.
			ConditionExpression:       aws.String("#latest = :id"),
			ExpressionAttributeNames:  map[string]string{"#latest": attrLatestConnect},
			ExpressionAttributeValues: values(map[string]any{":id": e.ConnID}),
		})
		if !isConditionFailed(err) {
			if err != nil {
				return fmt.Errorf("withdraw connection: %w", err)
			}
			return nil
		}
	}
	return st.Disconnect(ctx, e.App, e.User, e.ConnID)
}

// Disconnect forgets a connection and uncounts it, in one write. A connection already gone (or
// a presence item already erased) is left as it is, never recreated.
func (st *Store) Disconnect(ctx context.Context, app, user, connID string) error {
	_, err := st.ForgetConnection(ctx, app, user, connID)
	return err
}

// ForgetConnection is Disconnect, reporting whether the connection was still recorded: false
// when a $disconnect, a kick or an erasure got there first.
func (st *Store) ForgetConnection(ctx context.Context, app, user, connID string) (bool, error) {
	if err := checkConnID(connID); err != nil {
		return false, err
	}
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       presenceKey(app, user).av(),
		UpdateExpression:          aws.String("REMOVE #c ADD #n :minus"),
		ConditionExpression:       aws.String("attribute_exists(#c)"),
		ExpressionAttributeNames:  map[string]string{"#c": connAttr(connID), "#n": attrConnCount},
		ExpressionAttributeValues: values(map[string]any{":minus": -1}),
	})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("forget connection: %w", err)
	}
	return true, nil
}

// Touch records that a connection was heard from at now (ms), in one write; ErrNotFound when the
// connection is not recorded (kicked, or its user erased).
func (st *Store) Touch(ctx context.Context, app, user, connID string, now int64) error {
	if err := checkConnID(connID); err != nil {
		return err
	}
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       presenceKey(app, user).av(),
		UpdateExpression:          aws.String("SET #c.#seen = :now"),
		ConditionExpression:       aws.String("attribute_exists(#c)"),
		ExpressionAttributeNames:  map[string]string{"#c": connAttr(connID), "#seen": connLastSeen},
		ExpressionAttributeValues: values(map[string]any{":now": now}),
	})
	if isConditionFailed(err) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("touch connection: %w", err)
	}
	return nil
}

// Connections returns every recorded connection of a user, lapsed or not, in one GetItem.
func (st *Store) Connections(ctx context.Context, app, user string, c Consistency) ([]Conn, error) {
	res, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(st.table), Key: presenceKey(app, user).av(), ConsistentRead: aws.Bool(bool(c)),
	})
	if err != nil {
		return nil, fmt.Errorf("get presence: %w", err)
	}
	return connsFrom(res.Item)
}

// ConnectionsOf returns the recorded connections of many users, lapsed or not, in one
// BatchGetItem per 100 users; users without any are absent from the map.
func (st *Store) ConnectionsOf(ctx context.Context, app string, users []string, c Consistency) (map[string][]Conn, error) {
	keys := make([]itemKey, len(users))
	for i, u := range users {
		keys[i] = presenceKey(app, u)
	}
	items, err := st.batchGet(ctx, keys, c)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]Conn, len(items))
	for _, it := range items {
		// Only the partition key names the user: the item's other attributes are connections,
		// read once by connsFrom. The key is the SDK's string value, as av built it.
		pk, ok := it[AttrPK].(*types.AttributeValueMemberS)
		if !ok {
			return nil, fmt.Errorf("read presence key: %T is not a string", it[AttrPK])
		}
		conns, err := connsFrom(it)
		if err != nil {
			return nil, err
		}
		if len(conns) > 0 {
			out[ownerOf(pk.Value)] = conns
		}
	}
	return out, nil
}
