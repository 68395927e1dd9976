// Package mailin is the helpdesk's inbound mail listener: a plain SMTP
// server (HELPDESK_SMTP_LISTEN) that turns each message it accepts into a
// Message and gives it to a Handler, which opens a ticket or, when the
// subject carries a ticket number, adds a comment.
//
// Listen binds the address, Serve accepts connections, Close stops:
//
//	srv, err := mailin.Listen(mailin.Config{Addr: "127.0.0.1:2525"}, handle)
//	if err != nil {
//		return err
//	}
//	go srv.Serve()
//	defer srv.Close()
//
// The SMTP protocol is github.com/emersion/go-smtp's; MIME, RFC 2047
// headers and charsets are github.com/emersion/go-message's.
//
// # What a Message holds
//
// From is the bare, lower-cased address of the From header. Subject is
// decoded; Number is the ticket number in it ("Re: [HD-100042] Router
// down" gives "HD-100042"; see Number). Text is the body as plain text:
// the text/plain part wherever it sits in the MIME tree, or else the
// text/html part converted; attachments are ignored. Text keeps only the
// new content of a reply: quoted lines (">"), and everything from an
// attribution line ("On … wrote:", "El … escribió:"), an "-----Original
// Message-----" separator or a "-- " signature onward, are cut. A
// message without a Message-ID gets a hash of itself as MessageID, so a
// message delivered twice can be recognised.
//
// # How mail is answered
//
// Every message gets an SMTP answer that the sending server can act on,
// and the Handler never sees what it could not use:
//
//   - over Config.MaxMessageBytes: 552;
//   - more recipients than Config.MaxRecipients: 452; a recipient not in
//     Config.Recipients: 550 "no such mailbox here";
//   - a header that cannot be parsed, a missing or unreadable From, a
//     MIME structure that cannot be walked: 550, saying what is wrong;
//   - mail that could start a mail loop, because it is a bounce
//     (MAIL FROM:<>), an automatic reply (Auto-Submitted other than "no",
//     X-Autoreply, X-Autorespond) or bulk or list mail (Precedence
//     bulk/junk/list, List-Id): 250, then dropped and logged, so that no
//     automatic answer of the helpdesk ever answers another;
//   - the Handler's *Reject: its code and message; any other error of the
//     Handler, or a panic in it: 451, so the sender's server tries again
//     later, with a text that tells nothing of the helpdesk's insides.
package mailin
