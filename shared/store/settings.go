package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// AppSettings are the settings an app's operator changes through the API.
type AppSettings struct {
	// FriendsOnlyDirectMessages: only friends may send each other direct messages.
	FriendsOnlyDirectMessages bool
	// TokenTTLDays is how many days a token is good for from its issue time; 0 for ever.
	TokenTTLDays int
	Webhook      WebhookSettings
}

// WebhookSettings are where the app's webhooks go (see shared/domain/webhooks).
type WebhookSettings struct {
	URL    string
	Format string
	Events []string
	URLs   map[string]string
	// Failures counts the deliveries that failed in a row since the last success or change
	// of these settings, and LastFailure (ms) is when the last of them failed: what the
	// pause after repeated failures is judged on.
	Failures    int
	LastFailure int64
}

// AppSettingsChange names the settings a call changes; nil fields keep their values.
type AppSettingsChange struct {
	FriendsOnlyDirectMessages *bool
	TokenTTLDays              *int
	WebhookURL                *string
	WebhookFormat             *string
	WebhookEvents             *[]string
	WebhookURLs               *map[string]string
}

// settingsItem is an app's settings as stored (settingsItem.FriendsOnly is 1 when on).
type settingsItem struct {
	FriendsOnly   int64             `dynamodbav:"friendsOnlyDirectMessages"`
	TokenTTLDays  int64             `dynamodbav:"tokenTtlDays"`
	WebhookURL    string            `dynamodbav:"webhookUrl"`
	WebhookFormat string            `dynamodbav:"webhookFormat"`
	WebhookEvents []string          `dynamodbav:"webhookEvents"`
	WebhookURLs   map[string]string `dynamodbav:"webhookUrls"`
	Failures      int64             `dynamodbav:"webhookFailures"`
	LastFailure   int64             `dynamodbav:"webhookLastFailure"`
}

func settingsKey(app string) itemKey { return key(appPK(app), skSettings) }

func settingsFrom(it item) (AppSettings, error) {
	si, err := unmarshal[settingsItem](it)
	if err != nil {
		return AppSettings{}, err
	}
	return AppSettings{FriendsOnlyDirectMessages: si.FriendsOnly == 1, TokenTTLDays: int(si.TokenTTLDays), Webhook: WebhookSettings{
		URL: si.WebhookURL, Format: si.WebhookFormat, Events: si.WebhookEvents, URLs: si.WebhookURLs,
		Failures: int(si.Failures), LastFailure: si.LastFailure,
	}}, nil
}

// GetAppSettings reads an app's settings in one GetItem; an app never set has the defaults.
func (st *Store) GetAppSettings(ctx context.Context, app string) (AppSettings, error) {
	res, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(st.table), Key: settingsKey(app).av(), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return AppSettings{}, fmt.Errorf("get app settings: %w", err)
	}
	return settingsFrom(res.Item)
}

// UpdateAppSettings stores the settings a call changes, in one write.
func (st *Store) UpdateAppSettings(ctx context.Context, app string, c AppSettingsChange) error {
	names, vals := map[string]string{}, map[string]any{}
	var sets []string
	set := func(attr string, v any) {
		n := strconv.Itoa(len(sets))
		names["#a"+n], vals[":v"+n] = attr, v
		sets = append(sets, "#a"+n+" = :v"+n)
	}
	if c.FriendsOnlyDirectMessages != nil {
		set("friendsOnlyDirectMessages", boolInt(*c.FriendsOnlyDirectMessages))
	}
	if c.TokenTTLDays != nil {
		set("tokenTtlDays", int64(*c.TokenTTLDays))
	}
	if c.WebhookURL != nil {
		set("webhookUrl", *c.WebhookURL)
	}
	if c.WebhookFormat != nil {
		set("webhookFormat", *c.WebhookFormat)
	}
	if c.WebhookEvents != nil {
		set("webhookEvents", append([]string{}, *c.WebhookEvents...))
	}
	if c.WebhookURLs != nil {
		set("webhookUrls", *c.WebhookURLs)
	}
	if len(sets) == 0 {
		return nil
	}
	expr := "SET " + strings.Join(sets, ", ")
	if c.WebhookURL != nil || c.WebhookFormat != nil || c.WebhookEvents != nil || c.WebhookURLs != nil {
		// A change of the webhook settings resumes paused deliveries, in the same write.
		expr += " REMOVE " + attrWebhookFailures + ", " + attrWebhookLastFailure
	}
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       settingsKey(app).av(),
		UpdateExpression:          aws.String(expr),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values(vals),
	})
	if err != nil {
		return fmt.Errorf("update app settings: %w", err)
	}
	return nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// ListCount reads the total a list's counter holds (tests and checks).
func (st *Store) ListCount(ctx context.Context, app, owner string, kind Kind) (int64, error) {
	res, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(st.table), Key: key(userPK(app, owner), counterSK(kind)).av(), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return 0, err
	}
	c, err := unmarshal[counterItem](res.Item)
	if err != nil {
		return 0, err
	}
	return c.Total, nil
}
