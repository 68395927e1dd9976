// Package mailout renders and sends the helpdesk's outbound notification
// e-mail: the instant auto-reply that confirms a new ticket, and the
// messages that follow it (status and priority changes, requests for
// information and their reminders, public replies, SLA warnings and
// escalations).
//
// # Rendering
//
// Each notification kind (TICKET_RECEIVED, STATUS_CHANGED, …; see [Kinds])
// has three templates per locale: a subject line, a plain-text part
// (text/template) and an HTML part (html/template, which escapes
// everything a customer or agent typed). They are embedded in the binary
// under templates/<locale>/<KIND>.{subject,txt,html}.tmpl; the text and
// HTML parts share the pieces in templates/<locale>/common.{txt,html}.tmpl.
// The locales are "en" and "es"; any other locale is rendered in English.
//
// [Load] reads the embedded set and, given a directory, lets files laid out
// the same way (dir/es/COMMENT_ADDED.txt.tmpl, dir/en/common.html.tmpl, …)
// replace their embedded namesakes one by one. Every template is parsed
// and tried once with sample data at Load, so a broken override stops the
// service at start instead of failing its first notification.
//
// Templates see a [Data] and may call two functions: label, which shows a
// status, priority or SLA clock ("WAITING_ON_CUSTOMER", "HIGH",
// "FIRST_RESPONSE") in the template's language, and lines, which splits a
// comment into lines for quoting in the text part.
//
// [Templates.Render] always starts the subject with "[<ticket number>] ":
// when a customer replies, the intake finds the number there and files the
// reply on the same ticket. The subject templates therefore hold only the
// rest of the line.
//
// # Sending
//
// A [Sender] delivers a [Message] through one SMTP server, named by a URL:
//
//	smtp://mail.example.com:587           plain, upgraded with STARTTLS when the server offers it
//	smtps://user:secret@mail.example.com  implicit TLS (port 465 unless given), SMTP AUTH
//	smtp://localhost:1025?insecure=true   a local mail catcher with a self-signed certificate
//
// Each [Sender.Send] opens one connection, sends one multipart/alternative
// message (text and HTML) and closes it. Messages carry the caller's stable
// Message-ID, so a retried notification can be recognised as the same
// message, and In-Reply-To/References, so a ticket's notifications form
// one thread in the customer's mail client. Every message says
// "X-Auto-Response-Suppress: All", and automatic ones also
// "Auto-Submitted: auto-generated" (RFC 3834), so out-of-office replies do
// not bounce back and forth with the helpdesk's own auto-reply.
//
// [IsPermanent] tells a delivery loop which failures to give up on (the
// server refused the message or its recipient with a 5xx reply) and which
// to retry (the server is down, slow, busy or misconfigured).
package mailout
