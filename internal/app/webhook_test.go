package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"helpdesk/internal/app"
	"helpdesk/internal/config"
)

// TestWebhookAllowPrivateReachesTheDataModel: HELPDESK_WEBHOOK_ALLOW_PRIVATE
// decides, through app.Open, whether the API accepts a webhook on the
// loopback network. The API runs alone (RoleAPI) with a Temporal address
// that nothing answers: webhooks need no workflow.
func TestWebhookAllowPrivateReachesTheDataModel(t *testing.T) {
	for _, allow := range []bool{false, true} {
		t.Run("HELPDESK_WEBHOOK_ALLOW_PRIVATE="+strconv.FormatBool(allow), func(t *testing.T) {
			addr := freeAddr(t)
			env := map[string]string{
				"HELPDESK_DATA_DIR": t.TempDir(), "HELPDESK_ADDR": addr, "HELPDESK_ADMIN_TOKEN": adminToken,
				"TEMPORAL_ADDRESS": freeAddr(t), "HELPDESK_WEBHOOK_ALLOW_PRIVATE": strconv.FormatBool(allow),
			}
			cfg, err := config.FromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			log := slog.New(slog.DiscardHandler)
			deps, err := app.Open(ctx, cfg, app.RoleAPI, log)
			if err != nil {
				cancel()
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- app.Serve(ctx, cfg, app.RoleAPI, deps, log) }()
			t.Cleanup(func() { cancel(); <-done; deps.Close() })

			ask := func(query string) (data map[string]any, codes []string) {
				t.Helper()
				body, _ := json.Marshal(map[string]any{"query": query})
				for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
					req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/graphql", bytes.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+adminToken)
					req.Header.Set("Content-Type", "application/json")
					res, err := http.DefaultClient.Do(req)
					if err != nil {
						if time.Now().After(deadline) {
							t.Fatalf("the API on %s did not answer: %v", addr, err)
						}
						continue // not listening yet
					}
					var out struct {
						Data   map[string]any
						Errors []struct{ Extensions struct{ Code string } }
					}
					err = json.NewDecoder(res.Body).Decode(&out)
					res.Body.Close()
					if err != nil {
						t.Fatal(err)
					}
					for _, e := range out.Errors {
						codes = append(codes, e.Extensions.Code)
					}
					return out.Data, codes
				}
			}
			org, codes := ask(`mutation { createOrganization(input: {name: "Hooks Ltd", region: "EU", timezone: "UTC"}) { id } }`)
			if len(codes) > 0 {
				t.Fatalf("createOrganization: %v", codes)
			}
			id := org["createOrganization"].(map[string]any)["id"].(string)
			_, codes = ask(`mutation { createWebhook(input: {organizationID: "` + id + `", url: "http://127.0.0.1:9000/hook", secret: "s3cret"}) }`)
			want := "[BAD_USER_INPUT]"
			if allow {
				want = "[]"
			}
			if got := "[" + strings.Join(codes, " ") + "]"; got != want {
				t.Fatalf("createWebhook on the loopback network: errors %s, want %s", got, want)
			}
		})
	}
}
