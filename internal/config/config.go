// Package config reads the process configuration from the environment
// (SPEC §8) into one typed struct, validated at start with errors that name
// the variable and what it expects.
package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Config is the whole configuration of a helpdesk process.
type Config struct {
	// Addr is the HTTP listen address (HELPDESK_ADDR).
	Addr string
	// DataDir holds the embedded database and Temporal files (HELPDESK_DATA_DIR).
	DataDir string
	// DatabaseURL is a PostgreSQL DSN; empty means embedded SQLite (DATABASE_URL).
	DatabaseURL string
	// TemporalAddress is the Temporal frontend; empty means in-process (TEMPORAL_ADDRESS).
	TemporalAddress string
	// TemporalNamespace is the Temporal namespace (TEMPORAL_NAMESPACE).
	TemporalNamespace string
	// AdminToken bootstraps an ADMIN agent with this token (HELPDESK_ADMIN_TOKEN).
	AdminToken string
	// SMTPURL is outbound mail; empty means recorded, not sent (HELPDESK_SMTP_URL).
	SMTPURL string
	// SMTPFrom is the sender address (HELPDESK_SMTP_FROM).
	SMTPFrom string
	// SMTPListen is the inbound mail listener; empty means off (HELPDESK_SMTP_LISTEN).
	SMTPListen string
	// MailTemplates is a directory of templates that replace the
	// embedded ones of the same name; empty means embedded only
	// (HELPDESK_MAIL_TEMPLATES).
	MailTemplates string
	// WebhookAllowPrivate allows webhook targets on private networks (HELPDESK_WEBHOOK_ALLOW_PRIVATE).
	WebhookAllowPrivate bool
	// RateLimit is requests per second per token; 0 turns it off (HELPDESK_RATE_LIMIT).
	RateLimit float64
	// CORSOrigins may call the API from a browser: origins such as
	// https://portal.example.com, or just "*" for any; empty means
	// same-origin only (HELPDESK_CORS_ORIGINS).
	CORSOrigins []string
	// MaxSubscriptionsPerToken caps one token's open subscriptions across
	// its connections to this process (HELPDESK_MAX_SUBSCRIPTIONS_PER_TOKEN).
	MaxSubscriptionsPerToken int
	// MaxSubscriptionsPerConnection caps the open subscriptions of one
	// WebSocket (HELPDESK_MAX_SUBSCRIPTIONS_PER_CONNECTION).
	MaxSubscriptionsPerConnection int
	// TemporalListen is the in-process Temporal frontend's host:port, used
	// when TemporalAddress is empty (HELPDESK_TEMPORAL_LISTEN).
	TemporalListen string
	// MetricsAddr serves /metrics on a listener of its own; empty means on
	// Addr (HELPDESK_METRICS_ADDR).
	MetricsAddr string
	// LogFormat is LogText or LogJSON (HELPDESK_LOG_FORMAT).
	LogFormat string
	// LogLevel is the lowest level logged (HELPDESK_LOG_LEVEL).
	LogLevel slog.Level
}

// The log formats of HELPDESK_LOG_FORMAT.
const (
	// LogText is slog's key=value lines, for people.
	LogText = "text"
	// LogJSON is one JSON object a line, for log collectors.
	LogJSON = "json"
)

// logLevels are the values HELPDESK_LOG_LEVEL takes.
var logLevels = map[string]slog.Level{
	"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError,
}

// Variable describes one environment variable, for errors and --help.
type Variable struct {
	Name, Meaning, Default string
}

// Variables lists every variable the product reads.
var Variables = []Variable{
	{"HELPDESK_ADDR", "HTTP listen address", "127.0.0.1:8080"},
	{"HELPDESK_DATA_DIR", "embedded database and Temporal files", "./data"},
	{"DATABASE_URL", "PostgreSQL DSN; unset = embedded SQLite", ""},
	{"TEMPORAL_ADDRESS", "Temporal frontend host:port; unset = in-process server", ""},
	{"TEMPORAL_NAMESPACE", "Temporal namespace", "default"},
	{"HELPDESK_ADMIN_TOKEN", "bootstraps an ADMIN agent with this token", ""},
	{"HELPDESK_SMTP_URL", "outbound mail, e.g. smtp://127.0.0.1:1025 (smtps://, user:password@ and ?insecure=true too); unset = recorded, not sent", ""},
	{"HELPDESK_SMTP_FROM", "sender address; its domain names Message-IDs", "helpdesk@localhost"},
	{"HELPDESK_SMTP_LISTEN", "inbound mail listener (plain SMTP), e.g. 127.0.0.1:2525; unset = off", ""},
	{"HELPDESK_MAIL_TEMPLATES", "directory of mail templates replacing the embedded ones of the same name (en/TICKET_RECEIVED.subject.tmpl, .txt.tmpl, .html.tmpl, …); unset = embedded only", ""},
	{"HELPDESK_WEBHOOK_ALLOW_PRIVATE", "true allows webhook targets on loopback and private networks", "false"},
	{"HELPDESK_RATE_LIMIT", "requests per second per token (burst twice that; 0 = off)", "50"},
	{"HELPDESK_CORS_ORIGINS", "comma-separated origins whose pages may call the API (and open WebSockets), e.g. https://portal.example.com; * = any; unset = same-origin only", ""},
	{"HELPDESK_MAX_SUBSCRIPTIONS_PER_TOKEN", "open subscriptions one token may hold across its WebSockets to one process", "25"},
	{"HELPDESK_MAX_SUBSCRIPTIONS_PER_CONNECTION", "open subscriptions on one WebSocket", "10"},
	{"HELPDESK_TEMPORAL_LISTEN", "in-process Temporal frontend, for the temporal CLI (when TEMPORAL_ADDRESS is unset)", "127.0.0.1:7233"},
	{"HELPDESK_METRICS_ADDR", "serve /metrics, and Go's profiles at /debug/pprof/, on this host:port of its own; unset = /metrics on HELPDESK_ADDR, no profiles", ""},
	{"HELPDESK_LOG_FORMAT", "log format: text or json", LogText},
	{"HELPDESK_LOG_LEVEL", "lowest level logged: debug, info, warn or error", "info"},
}

// FromEnv reads the configuration with lookup (os.LookupEnv in main).
func FromEnv(lookup func(string) (string, bool)) (Config, error) {
	get := func(name string) string {
		if v, ok := lookup(name); ok {
			return strings.TrimSpace(v)
		}
		for _, v := range Variables {
			if v.Name == name {
				return v.Default
			}
		}
		return ""
	}
	c := Config{
		Addr:              get("HELPDESK_ADDR"),
		DataDir:           get("HELPDESK_DATA_DIR"),
		DatabaseURL:       get("DATABASE_URL"),
		TemporalAddress:   get("TEMPORAL_ADDRESS"),
		TemporalNamespace: get("TEMPORAL_NAMESPACE"),
		AdminToken:        get("HELPDESK_ADMIN_TOKEN"),
		SMTPURL:           get("HELPDESK_SMTP_URL"),
		SMTPFrom:          get("HELPDESK_SMTP_FROM"),
		SMTPListen:        get("HELPDESK_SMTP_LISTEN"),
		MailTemplates:     get("HELPDESK_MAIL_TEMPLATES"),
		TemporalListen:    get("HELPDESK_TEMPORAL_LISTEN"),
		MetricsAddr:       get("HELPDESK_METRICS_ADDR"),
		LogFormat:         strings.ToLower(get("HELPDESK_LOG_FORMAT")),
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return c, fmt.Errorf("config: HELPDESK_ADDR=%q: want host:port, e.g. 127.0.0.1:8080", c.Addr)
	}
	if c.DataDir == "" {
		return c, fmt.Errorf("config: HELPDESK_DATA_DIR is empty: want a directory, e.g. ./data")
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return c, fmt.Errorf("config: DATABASE_URL: want a PostgreSQL URL such as postgres://user@127.0.0.1:5432/helpdesk?sslmode=disable")
		}
	}
	if c.TemporalAddress != "" {
		if _, _, err := net.SplitHostPort(c.TemporalAddress); err != nil {
			return c, fmt.Errorf("config: TEMPORAL_ADDRESS=%q: want host:port, e.g. 127.0.0.1:7233", c.TemporalAddress)
		}
	}
	if c.TemporalNamespace == "" {
		c.TemporalNamespace = "default"
	}
	if c.AdminToken != "" && len(c.AdminToken) < 12 {
		return c, fmt.Errorf("config: HELPDESK_ADMIN_TOKEN is too short: want at least 12 characters")
	}
	if c.SMTPURL != "" {
		if u, err := url.Parse(c.SMTPURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
			return c, fmt.Errorf("config: HELPDESK_SMTP_URL=%q: want smtp://host:port or smtps://host:port", c.SMTPURL)
		}
	}
	if c.SMTPListen != "" {
		if _, _, err := net.SplitHostPort(c.SMTPListen); err != nil {
			return c, fmt.Errorf("config: HELPDESK_SMTP_LISTEN=%q: want host:port, e.g. 127.0.0.1:2525", c.SMTPListen)
		}
	}
	allow := get("HELPDESK_WEBHOOK_ALLOW_PRIVATE")
	b, err := strconv.ParseBool(allow)
	if err != nil {
		return c, fmt.Errorf("config: HELPDESK_WEBHOOK_ALLOW_PRIVATE=%q: want true or false", allow)
	}
	c.WebhookAllowPrivate = b
	rl := get("HELPDESK_RATE_LIMIT")
	c.RateLimit, err = strconv.ParseFloat(rl, 64)
	if err != nil || c.RateLimit < 0 {
		return c, fmt.Errorf("config: HELPDESK_RATE_LIMIT=%q: want a number of requests per second ≥ 0 (0 turns it off)", rl)
	}
	if c.CORSOrigins, err = parseOrigins(get("HELPDESK_CORS_ORIGINS")); err != nil {
		return c, err
	}
	for _, v := range []struct {
		name string
		dst  *int
	}{
		{"HELPDESK_MAX_SUBSCRIPTIONS_PER_TOKEN", &c.MaxSubscriptionsPerToken},
		{"HELPDESK_MAX_SUBSCRIPTIONS_PER_CONNECTION", &c.MaxSubscriptionsPerConnection},
	} {
		raw := get(v.name)
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 {
			return c, fmt.Errorf("config: %s=%q: want a whole number of subscriptions ≥ 1", v.name, raw)
		}
		*v.dst = n
	}
	if host, port, err := net.SplitHostPort(c.TemporalListen); err != nil || !isPort(port) || (host != "localhost" && net.ParseIP(host) == nil) {
		return c, fmt.Errorf("config: HELPDESK_TEMPORAL_LISTEN=%q: want an IP address and port, e.g. 127.0.0.1:7233", c.TemporalListen)
	}
	if c.MetricsAddr != "" {
		if _, port, err := net.SplitHostPort(c.MetricsAddr); err != nil || !isPort(port) {
			return c, fmt.Errorf("config: HELPDESK_METRICS_ADDR=%q: want host:port, e.g. 127.0.0.1:9090 (unset serves /metrics on HELPDESK_ADDR)", c.MetricsAddr)
		}
		if c.MetricsAddr == c.Addr {
			return c, fmt.Errorf("config: HELPDESK_METRICS_ADDR=%q is HELPDESK_ADDR: unset it to serve /metrics on the API port, or give it a port of its own", c.MetricsAddr)
		}
	}
	if c.LogFormat != LogText && c.LogFormat != LogJSON {
		return c, fmt.Errorf("config: HELPDESK_LOG_FORMAT=%q: want text or json", c.LogFormat)
	}
	level := get("HELPDESK_LOG_LEVEL")
	lv, ok := logLevels[strings.ToLower(level)]
	if !ok {
		return c, fmt.Errorf("config: HELPDESK_LOG_LEVEL=%q: want debug, info, warn or error", level)
	}
	c.LogLevel = lv
	return c, nil
}

// parseOrigins reads HELPDESK_CORS_ORIGINS: "" (same-origin only), "*"
// (any origin: no credential travels in cookies, so a foreign page gains
// nothing it does not hold already), or a comma-separated list of
// scheme://host[:port] origins, as browsers send them.
func parseOrigins(raw string) ([]string, error) {
	var out []string
	for _, o := range strings.Split(raw, ",") {
		o = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(o), "/"))
		if o == "" {
			continue
		}
		if o == "*" {
			out = append(out, o)
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" ||
			u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.ContainsAny(o, "*?[]\\") {
			return nil, fmt.Errorf("config: HELPDESK_CORS_ORIGINS: %q is not an origin: want scheme://host[:port] such as https://portal.example.com (no path, no wildcard), or * alone", o)
		}
		out = append(out, u.Scheme+"://"+u.Host)
	}
	if len(out) > 1 && slices.Contains(out, "*") {
		return nil, fmt.Errorf("config: HELPDESK_CORS_ORIGINS: * allows every origin and stands alone; list origins or use *")
	}
	return out, nil
}

// isPort reports whether s is a TCP port number (0 picks a free one).
func isPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 0 && n <= 65535
}

// FromOS reads the configuration from the process environment.
func FromOS() (Config, error) { return FromEnv(os.LookupEnv) }
