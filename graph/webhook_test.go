package graph_test

import (
	"strings"
	"testing"

	"helpdesk/internal/apitest"
)

const createWebhookOp = `mutation($org: ID!, $url: String!) { createWebhook(input: {organizationID: $org, url: $url, secret: "s3cret-s3cret"}) }`

// privateTargets are webhook URLs on loopback, private and other special
// networks, in the forms a resolver accepts.
var privateTargets = []string{
	"http://127.0.0.1/hook", "http://localhost:8080/hook", "http://[::1]/hook", "http://10.1.2.3/hook",
	"http://192.168.0.10/hook", "http://169.254.169.254/latest/meta-data/", "http://0.0.0.0/hook",
	"http://2130706433/hook", "http://127.1/hook", "http://[::ffff:127.0.0.1]/hook", "http://172.16.0.1/hook",
	"http://100.64.0.1/hook", "http://[fc00::1]/hook", "http://[fe80::1]/hook", "http://224.0.0.1/hook",
	"http://api.localhost/hook", "http://0x7f.1/hook", "http://0177.0.0.1/hook",
}

// TestWebhookTargetsOnPrivateNetworksAreRefused: without
// HELPDESK_WEBHOOK_ALLOW_PRIVATE, createWebhook refuses a target on a
// special network with BAD_USER_INPUT saying why and naming the setting,
// and stores nothing; a public name is accepted (one that does not
// resolve now, too: delivery checks the address again).
func TestWebhookTargetsOnPrivateNetworksAreRefused(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	tn := e.Tenant(t, "hook-private")
	before := accCountWebhooks(t, e)
	for _, u := range privateTargets {
		res := e.Fail(t, "BAD_USER_INPUT", apitest.AdminToken, createWebhookOp, map[string]any{"org": tn.OrgID, "url": u})
		msg := res.Errors[0].Message
		if !strings.Contains(msg, "HELPDESK_WEBHOOK_ALLOW_PRIVATE") || !strings.Contains(msg, "url") {
			t.Errorf("createWebhook(%s): message %q does not say why nor name HELPDESK_WEBHOOK_ALLOW_PRIVATE", u, msg)
		}
	}
	for _, u := range []string{"ftp://hooks.partner.example/x", "gopher://hooks.partner.example/"} {
		e.Fail(t, "BAD_USER_INPUT", apitest.AdminToken, createWebhookOp, map[string]any{"org": tn.OrgID, "url": u})
	}
	if got := accCountWebhooks(t, e); got != before {
		t.Fatalf("webhooks %d after the refusals, want %d", got, before)
	}
	e.Do(t, apitest.AdminToken, createWebhookOp, map[string]any{"org": tn.OrgID, "url": "https://hooks.partner.example/helpdesk"}, nil)
	e.Do(t, apitest.AdminToken, createWebhookOp, map[string]any{"org": tn.OrgID, "url": "https://93.184.215.14:8443/helpdesk"}, nil)
	if got := accCountWebhooks(t, e); got != before+2 {
		t.Fatalf("webhooks %d, want %d after two public targets", got, before+2)
	}
}

// TestWebhookTargetsOnPrivateNetworksAreAcceptedWhenAllowed: with
// HELPDESK_WEBHOOK_ALLOW_PRIVATE=true the same targets are accepted; the
// URL must still be http(s).
func TestWebhookTargetsOnPrivateNetworksAreAcceptedWhenAllowed(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{WebhookAllowPrivate: true})
	tn := e.Tenant(t, "hook-allowed")
	for _, u := range privateTargets {
		e.Do(t, apitest.AdminToken, createWebhookOp, map[string]any{"org": tn.OrgID, "url": u}, nil)
	}
	e.Fail(t, "BAD_USER_INPUT", apitest.AdminToken, createWebhookOp, map[string]any{"org": tn.OrgID, "url": "ftp://127.0.0.1/x"})
	if got := accCountWebhooks(t, e); got != len(privateTargets) {
		t.Fatalf("webhooks %d, want %d", got, len(privateTargets))
	}
}
