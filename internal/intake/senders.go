package intake

import (
	"context"

	"helpdesk/ent"
	"helpdesk/ent/contact"
	"helpdesk/internal/viewer"
)

// ContactsByEmail returns every contact with the address, of whichever
// organization, oldest first. An address is unique only within an
// organization, so e-mail intake gets several contacts when one person
// works for several customers: it must not pick one (the message would
// land in the wrong tenant) but answer as for an unknown sender or ask
// which organization is meant. Letter case does not count: mail arrives
// with its address as the sender's client wrote it, and no mail system
// tells Ana@ from ana@.
func ContactsByEmail(ctx context.Context, c *ent.Client, email string) ([]*ent.Contact, error) {
	return c.Contact.Query().Where(contact.EmailEqualFold(email)).Order(contact.ByID()).All(viewer.SystemContext(ctx))
}
