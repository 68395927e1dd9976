package deliver_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"helpdesk/ent"
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

// lockedBuffer is a log destination several goroutines write to.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestSeveralDeliverersShareTheNotificationsWithoutDeadlockEachOnce:
// four delivery loops on one database (four worker processes, each with
// its overlapping passes) deliver waves of e-mail notifications planned
// while they run through a real SMTP server: each message arrives once,
// each row is SENT after one attempt, no pass fails (a deadlock between
// claims and recordings would fail one, and delay its mail by a lease),
// and all of it within bounded time.
func TestSeveralDeliverersShareTheNotificationsWithoutDeadlockEachOnce(t *testing.T) {
	const (
		deliverers = 4
		waves      = 10
		perWave    = 250
		bound      = 2 * time.Minute
	)
	sink, mailer, e, ctx, tpl := waveFixture(t, "share")
	var logs lockedBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ds, stop := startDeliverers(t, e, mailer, logger, deliverers, 0)
	start := time.Now()
	ids := addWaves(t, ctx, e, tpl, ds, waves, perWave, "share")
	want := waves * perWave
	sink.Wait(t, bound, func(m []apitest.Mail) bool { return len(m) >= want })
	// Each pass records its attempts after its sends: wait for the last
	// recording, then stop the loops (anything sent twice has arrived by
	// then) and count.
	waitAllSent(t, ctx, e, ids, start.Add(bound), &logs)
	elapsed := time.Since(start)
	stop()
	got := sink.Received()

	seen := map[string]int{}
	for _, m := range got {
		seen[m.Header.Get("Message-Id")]++
	}
	for _, id := range ids {
		mid := fmt.Sprintf("<notification-%d@helpdesk.test>", id)
		if seen[mid] != 1 {
			t.Errorf("notification %d arrived %d times", id, seen[mid])
		}
	}
	if len(got) != want {
		t.Errorf("%d messages for %d notifications", len(got), want)
	}
	sent, err := e.DB.Client.Notification.Query().Where(notification.IDIn(ids...),
		notification.StatusEQ(notification.StatusSENT), notification.Attempts(1)).Count(ctx)
	if err != nil || sent != want {
		t.Errorf("%d of %d SENT after one attempt (%v)", sent, want, err)
	}
	if l := logs.String(); l != "" {
		t.Errorf("the deliverers logged (a pass failed):\n%s", l)
	}
	t.Logf("%d notifications through %d deliverers in %s", want, deliverers, elapsed.Round(time.Millisecond))
}

// TestClaimsReclaimedAfterTheirLeaseWhileBeingRecordedDoNotDeadlock: when
// a claim outlives its lease (a slow receiver; here the clocks of the
// deliverers two minutes apart, so that each finds the claims of those
// behind it expired), another deliverer claims the rows again while their
// first sender still sends and records them. Every notification ends
// SENT, each message arrives under its one Message-ID (a receiver may see
// it more than once), and no pass fails on a deadlock.
func TestClaimsReclaimedAfterTheirLeaseWhileBeingRecordedDoNotDeadlock(t *testing.T) {
	if os.Getenv(apitest.PostgresEnv) == "" {
		t.Skip("row locks and their order are PostgreSQL's; SQLite has one writer at a time")
	}
	const (
		deliverers = 4
		skew       = 2 * time.Minute // more than the lease of a claim
		waves      = 10
		perWave    = 250
		bound      = 2 * time.Minute
	)
	sink, mailer, e, ctx, tpl := waveFixture(t, "reclaim")
	var logs lockedBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ds, stop := startDeliverers(t, e, mailer, logger, deliverers, skew)
	start := time.Now()
	ids := addWaves(t, ctx, e, tpl, ds, waves, perWave, "reclaim")
	want := waves * perWave
	waitAllSent(t, ctx, e, ids, start.Add(bound), &logs)
	elapsed := time.Since(start)
	// Stopping the loops cancels passes still sending copies: what they
	// log then is not a failure of the delivery.
	logged := logs.String()
	stop()
	seen := map[string]int{}
	for _, m := range sink.Received() {
		seen[m.Header.Get("Message-Id")]++
	}
	twice := 0
	for _, id := range ids {
		switch c := seen[fmt.Sprintf("<notification-%d@helpdesk.test>", id)]; {
		case c == 0:
			t.Errorf("notification %d SENT and never arrived", id)
		case c > 1:
			twice++
		}
	}
	if l := logged; l != "" {
		t.Errorf("the deliverers logged (a pass failed):\n%s", l)
	}
	t.Logf("%d notifications through %d deliverers %s apart in %s; %d arrived more than once", want, deliverers, skew, elapsed.Round(time.Millisecond), twice)
}

// startDeliverers runs n delivery loops on e's database, as n worker
// processes would, the i-th with its clock i×skew ahead; stop ends them
// and waits (also at t's cleanup).
func startDeliverers(t *testing.T, e *apitest.Env, mailer deliver.Mailer, logger *slog.Logger, n int, skew time.Duration) (ds []*deliver.Deliverer, stop func()) {
	t.Helper()
	runCtx, cancel := context.WithCancel(context.Background())
	var running sync.WaitGroup
	stop = sync.OnceFunc(func() { cancel(); running.Wait() })
	t.Cleanup(stop)
	ds = make([]*deliver.Deliverer, n)
	for i := range ds {
		ahead := time.Duration(i) * skew
		ds[i] = &deliver.Deliverer{DB: e.DB.Client, Mailer: mailer, Host: "helpdesk.test", Workers: 8, Logger: logger,
			Now: func() time.Time { return time.Now().Add(ahead) }}
		running.Add(1)
		go func() { defer running.Done(); ds[i].Run(runCtx) }()
	}
	return ds, stop
}

// addWaves stores waves of perWave e-mail notifications like tpl, due now,
// waking every deliverer after each wave, and returns their IDs.
func addWaves(t *testing.T, ctx context.Context, e *apitest.Env, tpl *ent.Notification, ds []*deliver.Deliverer, waves, perWave int, prefix string) []int {
	t.Helper()
	var ids []int
	for w := range waves {
		builders := make([]*ent.NotificationCreate, perWave)
		for i := range builders {
			builders[i] = e.DB.Client.Notification.Create().SetTicketID(tpl.TicketID).SetKind(tpl.Kind).
				SetChannel(notification.ChannelEMAIL).SetRecipient(tpl.Recipient).SetPayload(tpl.Payload).
				SetDedupeKey(fmt.Sprintf("%s-%d-%d", prefix, w, i)).SetNextAttemptAt(time.Now())
		}
		made, err := e.DB.Client.Notification.CreateBulk(builders...).Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range made {
			ids = append(ids, n.ID)
		}
		for _, d := range ds {
			d.Kick()
		}
	}
	return ids
}

// waveFixture is the set-up of the concurrency tests: a mail sink and its
// mailer, an API without a delivery loop of its own, and the template of
// the waves: an e-mail notification a new ticket planned, as rendered (the
// ticket's own notifications are marked SENT: they are not counted).
func waveFixture(t *testing.T, prefix string) (*apitest.MailSink, deliver.Mailer, *apitest.Env, context.Context, *ent.Notification) {
	t.Helper()
	sink := apitest.NewMailSink(t, "127.0.0.1:0")
	mailer, err := deliver.NewMailer(sink.URL(), "helpdesk@helpdesk.test", "")
	if err != nil {
		t.Fatal(err)
	}
	e := apitest.New(t, apitest.Options{})
	tn := e.Tenant(t, prefix)
	e.CreateTicket(t, tn.User.Token, nil)
	ctx := viewer.SystemContext(context.Background())
	tpl, err := e.DB.Client.Notification.Query().Where(notification.ChannelEQ(notification.ChannelEMAIL)).First(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.DB.Client.Notification.Update().Where(notification.ChannelEQ(notification.ChannelEMAIL)).
		SetStatus(notification.StatusSENT).ClearNextAttemptAt().Exec(ctx); err != nil {
		t.Fatal(err)
	}
	return sink, mailer, e, ctx, tpl
}

// waitAllSent waits until every one of ids is recorded SENT, failing with
// the deliverers' log at deadline.
func waitAllSent(t *testing.T, ctx context.Context, e *apitest.Env, ids []int, deadline time.Time, logs *lockedBuffer) {
	t.Helper()
	for {
		sent, err := e.DB.Client.Notification.Query().Where(notification.IDIn(ids...), notification.StatusEQ(notification.StatusSENT)).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sent == len(ids) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d recorded SENT by the deadline; log:\n%s", sent, len(ids), logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
