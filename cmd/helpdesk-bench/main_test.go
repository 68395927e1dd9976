package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	t.Parallel()
	noEnv := func(string) string { return "" }
	tests := []struct {
		name    string
		args    []string
		getenv  func(string) string
		want    options
		wantErr string // substring naming the flag at fault; "" = valid
	}{
		{
			name: "the documented command line is valid",
			args: []string{"-addr", "http://127.0.0.1:8080", "-token", "T", "-clients", "16", "-duration", "20s", "-json", "out.json"},
			want: options{addr: "http://127.0.0.1:8080", token: "T", clients: 16, duration: 20 * time.Second, jsonPath: "out.json"},
		},
		{
			name: "defaults with the token from HELPDESK_ADMIN_TOKEN",
			args: []string{"-quiet"},
			getenv: func(k string) string {
				if k == "HELPDESK_ADMIN_TOKEN" {
					return "from-env"
				}
				return ""
			},
			want: options{addr: "http://127.0.0.1:8080", token: "from-env", clients: 16, duration: 20 * time.Second, quiet: true},
		},
		{name: "no token → -token", args: nil, wantErr: "-token"},
		{name: "zero clients → -clients", args: []string{"-token", "T", "-clients", "0"}, wantErr: "-clients"},
		{name: "too many clients → -clients", args: []string{"-token", "T", "-clients", "100000"}, wantErr: "-clients"},
		{name: "zero duration → -duration", args: []string{"-token", "T", "-duration", "0s"}, wantErr: "-duration"},
		{name: "negative duration → -duration", args: []string{"-token", "T", "-duration", "-5s"}, wantErr: "-duration"},
		{name: "address without scheme → -addr", args: []string{"-token", "T", "-addr", "127.0.0.1:8080"}, wantErr: "-addr"},
		{name: "address of another scheme → -addr", args: []string{"-token", "T", "-addr", "ftp://host"}, wantErr: "-addr"},
		{name: "unparsable duration → -duration", args: []string{"-token", "T", "-duration", "soon"}, wantErr: "-duration"},
		{name: "unknown flag is refused", args: []string{"-token", "T", "-rate", "5"}, wantErr: "-rate"},
		{name: "positional argument is refused", args: []string{"-token", "T", "extra"}, wantErr: "extra"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			getenv := tt.getenv
			if getenv == nil {
				getenv = noEnv
			}
			got, err := parseFlags(tt.args, getenv, io.Discard)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("parseFlags(%q): %v", tt.args, err)
				}
				if got != tt.want {
					t.Errorf("parseFlags(%q) = %+v, want %+v", tt.args, got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("parseFlags(%q) accepted, want an error naming %s", tt.args, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "bench: ") || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseFlags(%q) error %q, want a bench: error naming %s", tt.args, err, tt.wantErr)
			}
		})
	}
}
