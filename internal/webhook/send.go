package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"syscall"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Headers of a delivery. SignatureHeader is the product's own; the three
// others are Standard Webhooks' (standardwebhooks.com), so a receiver can
// verify with that specification's libraries — passing the secret's
// bytes as the key (in their "whsec_" form: "whsec_" + base64 of the
// secret) — and reject replays by id and timestamp.
const (
	SignatureHeader = "X-Helpdesk-Signature"
	IDHeader        = "webhook-id"
	TimestampHeader = "webhook-timestamp"
	StdSigHeader    = "webhook-signature"
)

const (
	// sendTimeout bounds one delivery attempt, connection included: a
	// receiver that hangs costs an attempt, not a worker.
	sendTimeout = 10 * time.Second
	// maxResponseBytes is how much of a receiver's answer is read (kept
	// for the error of a failed attempt).
	maxResponseBytes = 4 << 10
	userAgent        = "helpdesk-webhooks/1"
)

// Delivery is one POST of a notification to a webhook.
type Delivery struct {
	// ID identifies the delivery, the same on every attempt (webhook-id).
	ID     string
	URL    string
	Secret string
	Body   []byte
}

// PermanentError is a failed attempt that trying again cannot fix: a
// refused target, a redirect, a 4xx answer other than 408 and 429.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// IsPermanent reports whether err is a PermanentError.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// Sender POSTs deliveries. Where it may connect is its Targets' rule,
// checked again on the address each connection is about to reach (a name
// may resolve elsewhere than when the webhook was created); redirects are
// not followed.
type Sender struct {
	client *http.Client
	// Now is the clock of webhook-timestamp; nil is the wall clock.
	Now func() time.Time
}

// NewSender is a Sender under the rule t.
func NewSender(t Targets) *Sender {
	d := &net.Dialer{Timeout: sendTimeout}
	if !t.AllowPrivate {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return &PermanentError{Err: refused("cannot check address %s", address)}
			}
			if err := checkAddr(ap.Addr().Unmap().String(), ap.Addr()); err != nil {
				return &PermanentError{Err: err}
			}
			return nil
		}
	}
	tr := &http.Transport{DialContext: d.DialContext, Proxy: nil, MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute,
		TLSHandshakeTimeout: sendTimeout, ResponseHeaderTimeout: sendTimeout}
	return &Sender{client: &http.Client{
		Transport: tr, Timeout: sendTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Sign is the value of X-Helpdesk-Signature for body: "sha256=" and the
// hex HMAC-SHA256 of the body with the secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Send makes one attempt at d: nil when the receiver answered 2xx.
func (s *Sender) Send(ctx context.Context, d Delivery) error {
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	std, err := standardwebhooks.NewWebhookRaw([]byte(d.Secret))
	if err != nil {
		return &PermanentError{Err: fmt.Errorf("webhook secret: %w", err)}
	}
	stdSig, err := std.Sign(d.ID, now, d.Body)
	if err != nil {
		return &PermanentError{Err: fmt.Errorf("signing: %w", err)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		return &PermanentError{Err: fmt.Errorf("webhook URL %q: %w", d.URL, err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set(SignatureHeader, Sign(d.Secret, d.Body))
	req.Header.Set(IDHeader, d.ID)
	req.Header.Set(TimestampHeader, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(StdSigHeader, stdSig)
	resp, err := s.client.Do(req)
	if err != nil {
		var p *PermanentError
		if errors.As(err, &p) {
			return p
		}
		return fmt.Errorf("POST %s: %w", d.URL, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c >= 300 && c < 400:
		return &PermanentError{Err: fmt.Errorf("POST %s answered %s: redirects are not followed; give the webhook its final URL", d.URL, resp.Status)}
	case c == http.StatusRequestTimeout || c == http.StatusTooManyRequests || c >= 500:
		return fmt.Errorf("POST %s answered %s: %s", d.URL, resp.Status, bytes.TrimSpace(answer))
	default:
		return &PermanentError{Err: fmt.Errorf("POST %s answered %s: %s", d.URL, resp.Status, bytes.TrimSpace(answer))}
	}
}
