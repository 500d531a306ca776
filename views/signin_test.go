package views

import (
	"strings"
	"testing"
	"time"

	"github.com/plexform/plexform/executor"
	"github.com/plexform/plexform/plan"
)

func TestSigninVerdictLinesAndNextSteps(t *testing.T) {
	ch := sampleChanges()
	ch.Signins = []*plan.SigninChange{{Address: "signin", Store: "prefs", Verdict: plan.SigninBroken, Reason: "plex.tv rejects the stored token",
		Evidence: []string{"stored token: present in /p.xml", "plex.tv https://plex.tv: rejects the stored token (HTTP 401)"}, Revoked: true, Relink: "link_code"}}
	var b strings.Builder
	PlanHuman(&b, ch, Style{})
	out := b.String()
	for _, want := range []string{
		"sign-in: broken — plex.tv rejects the stored token\n  stored token: present in /p.xml\n",
		"# signin (plex_signin) will re-link the server once it runs: it shows a code to enter at https://plex.tv/link",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "sign-in: broken") > strings.Index(out, "plexform will perform") {
		t.Error("the verdict is not printed before the actions")
	}
	steps := signinNextSteps(ch, "plexform restore ID")
	for _, want := range append([]string{"signed in again", "Never paste the server's own token", "plexform restore ID"}, OtherTools...) {
		if !strings.Contains(steps, want) {
			t.Errorf("next steps lack %q:\n%s", want, steps)
		}
	}

	ch.Signins[0].Verdict, ch.Signins[0].Reason, ch.Signins[0].Relink = plan.SigninUnknown, "plex.tv cannot be asked", ""
	b.Reset()
	PlanHuman(&b, ch, Style{})
	if out := b.String(); !strings.Contains(out, "sign-in: unknown — plex.tv cannot be asked\n") || !strings.Contains(out, "Nothing is reset while the verdict is unknown.") {
		t.Errorf("unknown verdict:\n%s", out)
	}
	if signinRepaired(ch) {
		t.Error("an unknown verdict counts as repaired")
	}
}

func TestLinkCodeCountdown(t *testing.T) {
	var b strings.Builder
	o := &HumanObserver{W: &b, Terminal: true}
	o.Event(executor.Event{Type: executor.EventLinkCode, Message: "Open https://plex.tv/link on any device and enter ABCD"})
	o.Waiting("signin", "Waiting for the code to be entered", 14*time.Minute+59*time.Second)
	o.Waiting("signin", "Waiting for the code to be entered", 14*time.Minute+58*time.Second)
	o.Event(executor.Event{Type: executor.EventLinked, Message: "The code was entered"})
	out := b.String()
	for _, want := range []string{"enter ABCD\n", "\r\x1b[KWaiting for the code to be entered… 14:59 left", "14:58 left", "\r\x1b[KThe code was entered\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("terminal output lacks %q:\n%q", want, out)
		}
	}
	b.Reset()
	plain := &HumanObserver{W: &b}
	plain.Event(executor.Event{Type: executor.EventLinkCode, Message: "enter ABCD"})
	plain.Waiting("signin", "Waiting for the code to be entered", time.Minute)
	if b.String() != "enter ABCD\n" {
		t.Errorf("without a terminal: %q, want the code line only", b.String())
	}
}
