package graph_test

import (
	"context"
	"testing"
	"time"

	"helpdesk/ent/apitoken"
	"helpdesk/internal/apitest"
	"helpdesk/internal/auth"
	"helpdesk/internal/viewer"
)

// TestATokenSeenBeforeCostsOneStatementYetRevocationAndOwnerChangesApplyAtOnce:
// the process remembers whom a token was issued to, so a token's second
// request reads one statement less than its first; but it never remembers
// that the token is valid: a new role applies on the next request, and a
// revoked token or a deactivated owner is refused on the next request.
func TestATokenSeenBeforeCostsOneStatementYetRevocationAndOwnerChangesApplyAtOnce(t *testing.T) {
	t.Parallel()
	var log sqlLog
	e := apitest.New(t, apitest.Options{Driver: log.driver})
	tn := e.Tenant(t, "known")
	const me = `{ viewer { contact { id role } } }`
	role := func(token string) (string, int64) {
		t.Helper()
		var out struct {
			Viewer struct {
				Contact *struct{ Role string } `json:"contact"`
			} `json:"viewer"`
		}
		n := countSelects(log.during(func() { e.Do(t, token, me, nil, &out) }))
		if out.Viewer.Contact == nil {
			t.Fatal("viewer has no contact")
		}
		return out.Viewer.Contact.Role, n
	}
	// A fresh token of its own, never used by the fixtures.
	var issued struct {
		IssueToken struct{ Token string } `json:"issueToken"`
	}
	e.Do(t, apitest.AdminToken, `mutation($c: ID!) { issueToken(input: {contactID: $c}) { token } }`, map[string]any{"c": tn.User.ID}, &issued)
	token := issued.IssueToken.Token

	_, first := role(token)
	r, second := role(token)
	t.Logf("SELECTs of a viewer query: %d with a new token, %d with a token seen before", first, second)
	if second != first-1 {
		t.Errorf("a token seen before costs %d SELECTs, a new one %d; want one less", second, first)
	}
	if r != "USER" {
		t.Fatalf("role %s, want USER", r)
	}

	e.Do(t, tn.Master.Token, `mutation($id: ID!) { updateContact(id: $id, input: {role: ADMIN}) { id } }`, map[string]any{"id": tn.User.ID}, nil)
	if r, _ := role(token); r != "ADMIN" {
		t.Errorf("after the contact was made ADMIN its known token still acts as %s", r)
	}

	now := time.Now()
	if _, err := e.DB.Client.APIToken.Update().Where(apitoken.Digest(auth.Digest(token))).SetRevokedAt(now).Save(viewer.SystemContext(context.Background())); err != nil {
		t.Fatal(err)
	}
	if res := e.Post(t, token, me, nil); res.Status != 401 || len(res.Codes()) == 0 || res.Codes()[0] != "UNAUTHENTICATED" {
		t.Errorf("a known token after its revocation: %d %v; want 401 UNAUTHENTICATED", res.Status, res.Codes())
	}

	// The fixture's token of another contact, seen by now, and its owner
	// deactivated.
	role(tn.User2.Token)
	e.Do(t, apitest.AdminToken, `mutation($id: ID!) { deactivateContact(id: $id) { id } }`, map[string]any{"id": tn.User2.ID}, nil)
	if res := e.Post(t, tn.User2.Token, me, nil); res.Status != 401 {
		t.Errorf("a known token of a deactivated contact: %d %v; want 401", res.Status, res.Codes())
	}
}
