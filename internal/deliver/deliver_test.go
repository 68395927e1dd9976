package deliver_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"helpdesk/ent/notification"
	"helpdesk/internal/apitest"
	"helpdesk/internal/deliver"
	"helpdesk/internal/viewer"
	"helpdesk/internal/webhook"
)

func TestTheBackoffDoublesFromTwoSecondsToAnHour(t *testing.T) {
	for _, c := range []struct {
		attempts int
		want     time.Duration
	}{{1, 2 * time.Second}, {2, 4 * time.Second}, {3, 8 * time.Second}, {11, 2048 * time.Second}, {12, time.Hour}, {15, time.Hour}} {
		if got := deliver.Backoff(c.attempts); got != c.want {
			t.Errorf("after %d attempts: %s, want %s", c.attempts, got, c.want)
		}
	}
}

// TestTwoDeliverersSendEachNotificationOnce: two delivery loops (two
// worker processes) racing over the same due notifications claim each
// one once: the receiver gets one POST per notification.
func TestTwoDeliverersSendEachNotificationOnce(t *testing.T) {
	var posts sync.Map
	var total atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		total.Add(1)
		if _, dup := posts.LoadOrStore(r.Header.Get("webhook-id"), true); dup {
			t.Errorf("delivery %s twice", r.Header.Get("webhook-id"))
		}
	}))
	t.Cleanup(srv.Close)
	e := apitest.New(t, apitest.Options{WebhookAllowPrivate: true}) // no loop of its own
	tn := e.Tenant(t, "race")
	e.Do(t, apitest.AdminToken, `mutation($org: ID!, $url: String!) { createWebhook(input: {organizationID: $org, url: $url, secret: "race-secret-1"}) }`,
		map[string]any{"org": tn.OrgID, "url": srv.URL}, nil)
	for range 20 {
		e.CreateTicket(t, tn.User.Token, nil)
	}
	ctx := viewer.SystemContext(context.Background())
	want, err := e.DB.Client.Notification.Query().Where(notification.ChannelEQ(notification.ChannelWEBHOOK)).Count(ctx)
	if err != nil || want != 20 {
		t.Fatalf("%d webhook notifications planned (%v), want 20", want, err)
	}
	var wg sync.WaitGroup
	for range 2 {
		d := &deliver.Deliverer{DB: e.DB.Client, Webhooks: webhook.NewSender(webhook.Targets{AllowPrivate: true})}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := d.DeliverOnce(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if total.Load() != int64(want) {
		t.Fatalf("%d POSTs for %d notifications", total.Load(), want)
	}
	sent, err := e.DB.Client.Notification.Query().Where(notification.ChannelEQ(notification.ChannelWEBHOOK),
		notification.StatusEQ(notification.StatusSENT), notification.Attempts(1)).Count(ctx)
	if err != nil || sent != want {
		t.Fatalf("%d sent with one attempt (%v), want %d", sent, err, want)
	}
}

// TestARefusedWebhookTargetFailsAtOnceWithTheReason: a target the rule
// refuses at delivery (loopback, private networks not allowed) is not
// retried.
func TestARefusedWebhookTargetFailsAtOnceWithTheReason(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("the refused target was reached") }))
	t.Cleanup(srv.Close)
	e := apitest.New(t, apitest.Options{WebhookAllowPrivate: true}) // allowed when created …
	tn := e.Tenant(t, "refused")
	e.Do(t, apitest.AdminToken, `mutation($org: ID!, $url: String!) { createWebhook(input: {organizationID: $org, url: $url, secret: "refused-secret"}) }`,
		map[string]any{"org": tn.OrgID, "url": srv.URL}, nil)
	e.CreateTicket(t, tn.User.Token, nil)
	ctx := viewer.SystemContext(context.Background())
	d := &deliver.Deliverer{DB: e.DB.Client, Webhooks: webhook.NewSender(webhook.Targets{})} // … refused when delivered
	if _, err := d.DeliverOnce(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := e.DB.Client.Notification.Query().Where(notification.ChannelEQ(notification.ChannelWEBHOOK)).Only(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n.Status != notification.StatusFAILED || n.Attempts != 1 || n.LastError == nil || n.NextAttemptAt != nil {
		t.Fatalf("notification %+v", n)
	}
}

// TestDeliveriesAreCountedByChannelAndStatus: each recorded attempt
// counts once in helpdesk_notifications_delivered_total, as sent, to be
// retried (a receiver answering 503) or failed (e-mail off), matching
// what the rows say.
func TestDeliveriesAreCountedByChannelAndStatus(t *testing.T) {
	var failing atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close)
	e := apitest.New(t, apitest.Options{WebhookAllowPrivate: true})
	tn := e.Tenant(t, "counted")
	e.Do(t, apitest.AdminToken, `mutation($org: ID!, $url: String!) { createWebhook(input: {organizationID: $org, url: $url, secret: "counted-secret"}) }`,
		map[string]any{"org": tn.OrgID, "url": srv.URL}, nil)
	reg := prometheus.NewRegistry()
	d := &deliver.Deliverer{DB: e.DB.Client, Webhooks: webhook.NewSender(webhook.Targets{AllowPrivate: true}), Delivered: deliver.NewDeliveredCounter(reg)}
	ctx := viewer.SystemContext(context.Background())

	e.CreateTicket(t, tn.User.Token, nil)
	if _, err := d.DeliverOnce(ctx); err != nil {
		t.Fatal(err)
	}
	failing.Store(true)
	e.CreateTicket(t, tn.User.Token, nil)
	if _, err := d.DeliverOnce(ctx); err != nil {
		t.Fatal(err)
	}

	emails, err := e.DB.Client.Notification.Query().Where(notification.ChannelEQ(notification.ChannelEMAIL)).Count(ctx)
	if err != nil || emails == 0 {
		t.Fatalf("%d e-mail notifications planned (%v); the test needs some", emails, err)
	}
	got := map[string]float64{}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			l := map[string]string{}
			for _, p := range m.GetLabel() {
				l[p.GetName()] = p.GetValue()
			}
			if l["kind"] == "" {
				t.Errorf("a series without its kind: %v", l)
			}
			got[l["channel"]+" "+l["status"]] += m.GetCounter().GetValue()
		}
	}
	want := map[string]float64{"WEBHOOK sent": 1, "WEBHOOK retrying": 1, "EMAIL failed": float64(emails)}
	if len(got) != len(want) {
		t.Errorf("series %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
}
