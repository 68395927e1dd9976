package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"helpdesk/internal/apitest"
)

func get(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

// TestOperationalEndpoints: health, readiness, metrics and GraphiQL answer
// as an operator and a browser expect.
func TestOperationalEndpoints(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	e.Do(t, apitest.AdminToken, `{ viewer { agent { id } } }`, nil, nil)
	for _, tc := range []struct {
		name, path, want, contentType string
	}{
		{"healthz says ok", "/healthz", "ok", "text/plain"},
		{"readyz says ready", "/readyz", "ready", "text/plain"},
		{"metrics count GraphQL requests", "/metrics", `helpdesk_http_requests_total{code="200",handler="graphql"}`, "text/plain"},
		{"GraphiQL at /", "/", "GraphiQL", "text/html"},
	} {
		code, body, h := get(t, e.URL+tc.path)
		if code != http.StatusOK || !strings.Contains(body, tc.want) || !strings.HasPrefix(h.Get("Content-Type"), tc.contentType) {
			t.Errorf("%s: GET %s → %d %s %q…", tc.name, tc.path, code, h.Get("Content-Type"), first(body))
		}
	}
}

// TestQueryOverGET follows GraphQL over HTTP: a query may come as GET.
func TestQueryOverGET(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	res := e.Raw(t, http.MethodGet, "/graphql?query=%7B%20viewer%20%7B%20agent%20%7B%20role%20%7D%20%7D%20%7D", apitest.AdminToken, "", nil)
	if res.Status != http.StatusOK || !strings.Contains(string(res.Data), "ADMIN") {
		t.Fatalf("GET query: %d %s %v", res.Status, res.Data, res.Errors)
	}
}

func first(s string) string {
	if len(s) > 120 {
		return s[:120]
	}
	return s
}

// TestPostWithoutContentTypeIsReadAsJSON: a terse client that sends a JSON
// body without a Content-Type is served.
func TestPostWithoutContentTypeIsReadAsJSON(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	res := e.Raw(t, http.MethodPost, "/graphql", apitest.AdminToken, "", []byte(`{"query": "{ viewer { agent { role } } }"}`))
	if res.Status != http.StatusOK || !strings.Contains(string(res.Data), "ADMIN") {
		t.Fatalf("POST without Content-Type: %d %s %v", res.Status, res.Data, res.Errors)
	}
}
