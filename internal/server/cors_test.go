package server_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"helpdesk/internal/apitest"
)

const portal = "https://portal.example.com"

// corsRequest sends method to /graphql from origin with headers h.
func corsRequest(t *testing.T, e *apitest.Env, method, origin string, h map[string]string) http.Header {
	t.Helper()
	var body []byte
	if method == http.MethodPost {
		body = []byte(`{"query": "{ viewer { agent { id } } }"}`)
	}
	req, err := http.NewRequest(method, e.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", origin)
	for k, v := range h {
		req.Header.Set(k, v)
	}
	res, err := e.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if method == http.MethodOptions && res.StatusCode/100 != 2 {
		t.Errorf("preflight from %s: %d", origin, res.StatusCode)
	}
	return res.Header
}

func TestCORSAllowsTheConfiguredOriginsOnly(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{CORSOrigins: []string{portal}})
	preflight := map[string]string{"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}
	post := map[string]string{"Authorization": "Bearer " + apitest.AdminToken, "Content-Type": "application/json"}

	t.Run("a preflight from an allowed origin may send Authorization and Content-Type", func(t *testing.T) {
		h := corsRequest(t, e, http.MethodOptions, portal, preflight)
		if h.Get("Access-Control-Allow-Origin") != portal || !strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "authorization") ||
			!strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "content-type") || h.Get("Access-Control-Allow-Methods") != "POST" {
			t.Errorf("preflight answer: %v", h)
		}
		if h.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("credentials allowed: %v", h)
		}
	})
	t.Run("a request from an allowed origin gets the headers, never credentials", func(t *testing.T) {
		h := corsRequest(t, e, http.MethodPost, portal, post)
		if h.Get("Access-Control-Allow-Origin") != portal || h.Get("Access-Control-Allow-Credentials") != "" ||
			!strings.Contains(h.Get("Access-Control-Expose-Headers"), "Retry-After") {
			t.Errorf("answer to %s: %v", portal, h)
		}
	})
	t.Run("another origin gets none", func(t *testing.T) {
		for _, m := range []string{http.MethodOptions, http.MethodPost} {
			hdr := post
			if m == http.MethodOptions {
				hdr = preflight
			}
			if h := corsRequest(t, e, m, "https://evil.example", hdr); h.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("%s from another origin: %v", m, h)
			}
		}
	})
	t.Run("unset, the API is same-origin only", func(t *testing.T) {
		e := apitest.New(t, apitest.Options{})
		if h := corsRequest(t, e, http.MethodPost, portal, post); h.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("without HELPDESK_CORS_ORIGINS: %v", h)
		}
	})
}

func TestWebSocketOriginIsCheckedAgainstTheSameList(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{CORSOrigins: []string{portal}})
	bare := apitest.New(t, apitest.Options{})
	for _, tc := range []struct {
		name   string
		env    *apitest.Env
		origin string
		ok     bool
	}{
		{"from a foreign origin: refused", e, "https://evil.example", false},
		{"from an allowed origin: accepted", e, portal, true},
		{"without Origin (a server-side client): accepted", e, "", true},
		{"from the same origin: accepted", e, e.URL, true},
		{"unset, from the portal: refused", bare, portal, false},
		{"unset, from the same origin: accepted", bare, bare.URL, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, status, err := tc.env.DialSocket(t, apitest.SocketOptions{Token: apitest.AdminToken, Origin: tc.origin})
			if !tc.ok {
				if err == nil || status != http.StatusForbidden {
					t.Errorf("upgrade: HTTP %d (%v); want 403", status, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("upgrade refused: HTTP %d: %v", status, err)
			}
			if m, ok := s.AwaitInit(); !ok || m.Type != "connection_ack" {
				t.Errorf("not acknowledged: %+v", m)
			}
		})
	}
}
