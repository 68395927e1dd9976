package graph_test

import (
	"testing"

	"helpdesk/internal/apitest"
)

// TestPolicyHolidayCountryClosesItsPublicHolidays: a policy naming a
// country (holidayCountry) is closed on that country's public holidays;
// pauseOnThirdParty defaults to true; an unknown country is BAD_USER_INPUT.
func TestPolicyHolidayCountryClosesItsPublicHolidays(t *testing.T) {
	t.Parallel()
	e := apitest.New(t, apitest.Options{})
	create := `mutation($in: CreateSLAPolicyInput!) { p: createSLAPolicy(input: $in) { id holidayCountry pauseOnThirdParty } }`
	in := func(country any) map[string]any {
		return map[string]any{"in": map[string]any{"name": apitest.Unique("NewYork"), "timezone": "America/New_York",
			"openingHours": weekdays, "holidayCountry": country, "targets": targets(3600)}}
	}
	var us, plain struct {
		P struct {
			ID                string
			HolidayCountry    *string
			PauseOnThirdParty bool
		}
	}
	e.Do(t, apitest.AdminToken, create, in("US"), &us)
	e.Do(t, apitest.AdminToken, create, in(nil), &plain)
	if us.P.HolidayCountry == nil || *us.P.HolidayCountry != "US" || !us.P.PauseOnThirdParty {
		t.Fatalf("created policy = %+v, want holidayCountry US and pauseOnThirdParty true", us.P)
	}
	if plain.P.HolidayCountry != nil && *plain.P.HolidayCountry != "" {
		t.Errorf("a policy without a country reads holidayCountry %q", *plain.P.HolidayCountry)
	}
	// Thursday 2026-11-26 is Thanksgiving, a public holiday in the US.
	for _, tc := range []struct{ name, policy, want string }{
		{"US: wednesday 17:30 + 1h, thursday a holiday → friday 09:30", us.P.ID, "2026-11-27T09:30:00-05:00"},
		{"no country: wednesday 17:30 + 1h → thursday 09:30", plain.P.ID, "2026-11-26T09:30:00-05:00"},
	} {
		var out struct {
			SLAPreview struct{ FirstResponseDueAt string } `json:"slaPreview"`
		}
		e.Do(t, apitest.AdminToken, `query($p: ID!) { slaPreview(policyID: $p, priority: CRITICAL, at: "2026-11-25T17:30:00-05:00") { firstResponseDueAt } }`,
			map[string]any{"p": tc.policy}, &out)
		if got := mustTime(t, out.SLAPreview.FirstResponseDueAt); !got.Equal(mustTime(t, tc.want)) {
			t.Errorf("%s: due %s, want %s", tc.name, got, tc.want)
		}
	}
	e.Fail(t, "BAD_USER_INPUT", apitest.AdminToken, create, in("XX"))
	e.Fail(t, "BAD_USER_INPUT", apitest.AdminToken, create, in("us"))
}
