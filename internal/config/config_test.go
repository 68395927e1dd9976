package config

import (
	"log/slog"
	"slices"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaultsFollowTheSpec(t *testing.T) {
	t.Parallel()
	c, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DataDir != "./data" || c.TemporalNamespace != "default" ||
		c.SMTPFrom != "helpdesk@localhost" || c.RateLimit != 50 || c.WebhookAllowPrivate || c.DatabaseURL != "" || c.TemporalAddress != "" ||
		c.CORSOrigins != nil || c.MaxSubscriptionsPerToken != 25 || c.MaxSubscriptionsPerConnection != 10 ||
		c.TemporalListen != "127.0.0.1:7233" || c.MetricsAddr != "" || c.LogFormat != LogText || c.LogLevel != slog.LevelInfo {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestInvalidValuesNameTheVariable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, variable, value string }{
		{"listen address without port", "HELPDESK_ADDR", "localhost"},
		{"database URL of another kind", "DATABASE_URL", "mysql://x"},
		{"temporal address without port", "TEMPORAL_ADDRESS", "temporal"},
		{"short admin token", "HELPDESK_ADMIN_TOKEN", "short"},
		{"SMTP URL without scheme", "HELPDESK_SMTP_URL", "127.0.0.1:1025"},
		{"SMTP listener without port", "HELPDESK_SMTP_LISTEN", "127.0.0.1"},
		{"allow-private not a boolean", "HELPDESK_WEBHOOK_ALLOW_PRIVATE", "yes please"},
		{"negative rate limit", "HELPDESK_RATE_LIMIT", "-1"},
		{"rate limit not a number", "HELPDESK_RATE_LIMIT", "fast"},
		{"empty data directory", "HELPDESK_DATA_DIR", ""},
		{"CORS origin without scheme", "HELPDESK_CORS_ORIGINS", "portal.example.com"},
		{"CORS origin with a path", "HELPDESK_CORS_ORIGINS", "https://portal.example.com/app"},
		{"CORS origin with a wildcard", "HELPDESK_CORS_ORIGINS", "https://*.example.com"},
		{"CORS * beside an origin", "HELPDESK_CORS_ORIGINS", "*, https://portal.example.com"},
		{"CORS origin of another scheme", "HELPDESK_CORS_ORIGINS", "ftp://portal.example.com"},
		{"no subscriptions per token", "HELPDESK_MAX_SUBSCRIPTIONS_PER_TOKEN", "0"},
		{"subscriptions per token not a number", "HELPDESK_MAX_SUBSCRIPTIONS_PER_TOKEN", "many"},
		{"negative subscriptions per connection", "HELPDESK_MAX_SUBSCRIPTIONS_PER_CONNECTION", "-1"},
		{"temporal listener on a host name", "HELPDESK_TEMPORAL_LISTEN", "temporal.example:7233"},
		{"temporal listener without port", "HELPDESK_TEMPORAL_LISTEN", "127.0.0.1"},
		{"metrics address without port", "HELPDESK_METRICS_ADDR", "127.0.0.1"},
		{"metrics address is the API address", "HELPDESK_METRICS_ADDR", "127.0.0.1:8080"},
		{"unknown log format", "HELPDESK_LOG_FORMAT", "xml"},
		{"unknown log level", "HELPDESK_LOG_LEVEL", "verbose"},
	} {
		_, err := FromEnv(env(map[string]string{tc.variable: tc.value}))
		if err == nil || !strings.Contains(err.Error(), tc.variable) {
			t.Errorf("%s: %s=%q gave %v, want an error naming %s", tc.name, tc.variable, tc.value, err, tc.variable)
		}
	}
}

func TestRateLimitZeroTurnsItOff(t *testing.T) {
	t.Parallel()
	c, err := FromEnv(env(map[string]string{"HELPDESK_RATE_LIMIT": "0"}))
	if err != nil || c.RateLimit != 0 {
		t.Fatalf("HELPDESK_RATE_LIMIT=0: %+v %v", c, err)
	}
}

func TestCORSOriginsAreAListOfOriginsOrStar(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		raw  string
		want []string
	}{
		{"", nil},
		{"*", []string{"*"}},
		{"https://Portal.example.com/, http://localhost:3000", []string{"https://portal.example.com", "http://localhost:3000"}},
		{" https://portal.example.com ,, ", []string{"https://portal.example.com"}},
	} {
		c, err := FromEnv(env(map[string]string{"HELPDESK_CORS_ORIGINS": tc.raw}))
		if err != nil || !slices.Equal(c.CORSOrigins, tc.want) {
			t.Errorf("HELPDESK_CORS_ORIGINS=%q: %q, %v; want %q", tc.raw, c.CORSOrigins, err, tc.want)
		}
	}
}

func TestCORSAndSubscriptionVariablesAreListed(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"HELPDESK_CORS_ORIGINS", "HELPDESK_MAX_SUBSCRIPTIONS_PER_TOKEN", "HELPDESK_MAX_SUBSCRIPTIONS_PER_CONNECTION"} {
		if !slices.ContainsFunc(Variables, func(v Variable) bool { return v.Name == name && v.Meaning != "" }) {
			t.Errorf("%s is not in Variables", name)
		}
	}
}

func TestLogSettingsTakeAnyCase(t *testing.T) {
	t.Parallel()
	c, err := FromEnv(env(map[string]string{"HELPDESK_LOG_FORMAT": "JSON", "HELPDESK_LOG_LEVEL": "Debug"}))
	if err != nil || c.LogFormat != LogJSON || c.LogLevel != slog.LevelDebug {
		t.Fatalf("HELPDESK_LOG_FORMAT=JSON HELPDESK_LOG_LEVEL=Debug: %+v %v", c, err)
	}
}
