package views

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/stores"
)

const secret = "tok-render-SECRET-42"

func sampleChanges() *plan.Changes {
	token, mail, old, name := stores.Value{Text: secret}, stores.Value{Text: "jane@example.com"}, stores.Value{Text: "old"}, stores.Value{Text: "den"}
	return &plan.Changes{
		Resources: []*plan.ResourceChange{{
			Address: "prefs", Kind: plan.KindXMLAttributes, Target: "/p.xml", Exists: true,
			Values: []plan.ValueChange{
				{Name: "PlexOnlineToken", StoreName: "PlexOnlineToken", Action: plan.Remove, Before: &token, Sensitive: true},
				{Name: "PlexOnlineMail", StoreName: "PlexOnlineMail", Action: plan.Remove, Before: &mail},
				{Name: "FriendlyName", StoreName: "FriendlyName", Action: plan.Change, Before: &old, After: &name},
				{Name: "Keep", StoreName: "Keep", Action: plan.NoOp, Before: &name, After: &name},
			},
		}},
		Services: []*plan.ServiceChange{{Address: "plex", Describe: "s6 /run/service/plex", Running: true, Want: "running", Action: plan.Restart, Guards: []string{"prefs"}}},
	}
}

func TestPlanHumanShowsChangesNeverSecrets(t *testing.T) {
	var b strings.Builder
	PlanHuman(&b, sampleChanges(), Style{})
	out := b.String()
	for _, want := range []string{
		"# prefs (xml_attributes) will be updated in place",
		"- PlexOnlineToken = (sensitive value)\n",
		`- PlexOnlineMail  = "jane@example.com"`,
		`~ FriendlyName    = "old" -> "den"`,
		"# plex (s6 /run/service/plex) will be stopped while prefs changes, then started again",
		"Plan: 0 to add, 1 to change, 2 to remove.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, secret) || strings.Contains(out, "Keep") || strings.Contains(out, "\x1b[") {
		t.Errorf("output shows a secret, a no-op or colour without a terminal:\n%s", out)
	}
	b.Reset()
	PlanHuman(&b, sampleChanges(), Style{Color: true})
	if !strings.Contains(b.String(), "\x1b[31m-\x1b[0m PlexOnlineToken") {
		t.Errorf("no colour on a terminal:\n%q", b.String())
	}
}

func TestPlanHumanNoChangesAndMissingStore(t *testing.T) {
	var b strings.Builder
	PlanHuman(&b, &plan.Changes{Resources: []*plan.ResourceChange{{Address: "prefs", Target: "/gone.xml"}}}, Style{})
	want := "Note: prefs: /gone.xml does not exist, so there is nothing in it to change.\n\n" + NoChanges + "\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestPlanJSONMarksSensitiveInsteadOfShowingIt(t *testing.T) {
	var b strings.Builder
	if err := WriteJSON(&b, PlanJSON(sampleChanges(), "test")); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), secret) {
		t.Fatal("the JSON view shows the token")
	}
	var doc JSON
	if err := json.Unmarshal([]byte(b.String()), &doc); err != nil {
		t.Fatal(err)
	}
	rc := doc.ResourceChanges[0]
	if !doc.Changes || doc.Summary != (Summary{0, 1, 2}) || rc.Actions[0] != "update" ||
		rc.Before["PlexOnlineMail"] != "jane@example.com" || rc.After["FriendlyName"] != "den" ||
		len(rc.Sensitive) != 1 || rc.Sensitive[0] != "PlexOnlineToken" || rc.Values[0].Before != nil {
		t.Errorf("JSON view: %+v", doc)
	}
	if _, ok := rc.Before["PlexOnlineToken"]; ok {
		t.Error("before names the sensitive value with a value")
	}
	if len(doc.ServiceChanges) != 1 || doc.ServiceChanges[0].Action != "restart" {
		t.Errorf("service changes: %+v", doc.ServiceChanges)
	}
}
