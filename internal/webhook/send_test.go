package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

type received struct {
	mu   sync.Mutex
	reqs []*http.Request
	body [][]byte
}

func receiver(t *testing.T, answer func(n int) int) (*httptest.Server, *received) {
	t.Helper()
	r := &received{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.reqs = append(r.reqs, req)
		r.body = append(r.body, b)
		n := len(r.reqs)
		r.mu.Unlock()
		w.WriteHeader(answer(n))
	}))
	t.Cleanup(srv.Close)
	return srv, r
}

func TestADeliveryIsSignedWithTheContractHeaderAndStandardWebhooks(t *testing.T) {
	srv, got := receiver(t, func(int) int { return 204 })
	s := NewSender(Targets{AllowPrivate: true})
	body := []byte(`{"kind":"STATUS_CHANGED"}`)
	if err := s.Send(t.Context(), Delivery{ID: "hd-notification-7", URL: srv.URL, Secret: "s3cret-key", Body: body}); err != nil {
		t.Fatal(err)
	}
	req := got.reqs[0]
	if string(got.body[0]) != string(body) || req.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("body %q, content type %q", got.body[0], req.Header.Get("Content-Type"))
	}
	// sha256=hex(HMAC-SHA256(secret, body)), worked out independently.
	if want := "sha256=" + hmacHex("s3cret-key", body); req.Header.Get(SignatureHeader) != want {
		t.Fatalf("%s = %q, want %q", SignatureHeader, req.Header.Get(SignatureHeader), want)
	}
	if req.Header.Get("webhook-id") != "hd-notification-7" {
		t.Fatalf("webhook-id %q", req.Header.Get("webhook-id"))
	}
	// A receiver verifies with the specification's library.
	wh, err := standardwebhooks.NewWebhook("whsec_" + base64.StdEncoding.EncodeToString([]byte("s3cret-key")))
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(got.body[0], req.Header); err != nil {
		t.Fatalf("standard webhooks verification: %v", err)
	}
	if err := wh.Verify([]byte(`{"kind":"forged"}`), req.Header); err == nil {
		t.Fatal("a changed body verified")
	}
}

func TestTheDeliveryIDIsTheSameOnEveryAttempt(t *testing.T) {
	srv, got := receiver(t, func(n int) int {
		if n == 1 {
			return 500
		}
		return 200
	})
	s := NewSender(Targets{AllowPrivate: true})
	d := Delivery{ID: "hd-notification-9", URL: srv.URL, Secret: "k", Body: []byte(`{}`)}
	err := s.Send(t.Context(), d)
	if err == nil || IsPermanent(err) {
		t.Fatalf("a 500 is a temporary failure, got %v", err)
	}
	if err := s.Send(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	if a, b := got.reqs[0].Header.Get("webhook-id"), got.reqs[1].Header.Get("webhook-id"); a != b || a != d.ID {
		t.Fatalf("ids %q %q", a, b)
	}
}

func TestA4xxAnswerAndARedirectArePermanentFailures(t *testing.T) {
	s := NewSender(Targets{AllowPrivate: true})
	for _, code := range []int{400, 404, 410, 301, 302, 307} {
		srv, _ := receiver(t, func(int) int { return code })
		err := s.Send(t.Context(), Delivery{ID: "x", URL: srv.URL, Secret: "k", Body: []byte(`{}`)})
		if !IsPermanent(err) {
			t.Errorf("%d: %v is not permanent", code, err)
		}
	}
	for _, code := range []int{408, 429, 503} {
		srv, _ := receiver(t, func(int) int { return code })
		err := s.Send(t.Context(), Delivery{ID: "x", URL: srv.URL, Secret: "k", Body: []byte(`{}`)})
		if err == nil || IsPermanent(err) {
			t.Errorf("%d: %v should be temporary", code, err)
		}
	}
}

func TestARedirectToAPrivateAddressIsNotFollowed(t *testing.T) {
	inner, innerGot := receiver(t, func(int) int { return 200 })
	outer := httptest.NewServer(http.RedirectHandler(inner.URL, http.StatusTemporaryRedirect))
	t.Cleanup(outer.Close)
	err := NewSender(Targets{AllowPrivate: true}).Send(t.Context(), Delivery{ID: "x", URL: outer.URL, Secret: "k", Body: []byte(`{}`)})
	if !IsPermanent(err) || !strings.Contains(err.Error(), "redirect") {
		t.Fatalf("err %v", err)
	}
	if len(innerGot.reqs) != 0 {
		t.Fatal("the redirect was followed")
	}
}

func TestTheAddressIsCheckedWhenDeliveringNotOnlyWhenCreated(t *testing.T) {
	// A loopback receiver is refused on the address actually dialled when
	// private targets are not allowed, even though the URL passed before.
	srv, got := receiver(t, func(int) int { return 200 })
	err := NewSender(Targets{}).Send(t.Context(), Delivery{ID: "x", URL: srv.URL, Secret: "k", Body: []byte(`{}`)})
	if !IsPermanent(err) || !strings.Contains(err.Error(), AllowPrivateVariable) {
		t.Fatalf("err %v", err)
	}
	if len(got.reqs) != 0 {
		t.Fatal("the loopback receiver was reached")
	}
}

func hmacHex(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func TestAReceiverThatHangsCostsOneAttemptAndIsRetried(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	s := NewSender(Targets{AllowPrivate: true})
	s.client.Timeout = 300 * time.Millisecond // sendTimeout, shortened
	start := time.Now()
	err := s.Send(t.Context(), Delivery{ID: "x", URL: srv.URL, Secret: "k", Body: []byte(`{}`)})
	if err == nil || IsPermanent(err) {
		t.Fatalf("a hanging receiver: %v, want a temporary failure", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the attempt took %v, not bounded by its timeout", d)
	}
}
