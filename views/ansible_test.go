package views

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/plexform/plexform/plan"
)

func TestMsgLine(t *testing.T) {
	err := errors.New("2 problems in the plan file:\n  - a:1:2: one\n  - a:3:4: two\n")
	if got, want := msgLine(err), "2 problems in the plan file: a:1:2: one; a:3:4: two"; got != want {
		t.Errorf("msgLine = %q, want %q", got, want)
	}
}

// TestAnsibleResultSignin: the result's signin is the worst plex_signin verdict with its
// reason and every resource's evidence; a plan without plex_signin has no signin fields.
func TestAnsibleResultSignin(t *testing.T) {
	res := NewAnsible("test", false)
	res.describe(&plan.Changes{Signins: []*plan.SigninChange{
		{Address: "a", Verdict: plan.SigninBroken, Reason: "plex.tv rejects the stored token", Evidence: []string{"plex.tv https://plex.tv: rejects the stored token (HTTP 401)"}},
		{Address: "b", Verdict: plan.SigninWorking, Reason: "the server reports its sign-in as ok", Evidence: []string{"server http://127.0.0.1:32400: signInState=ok"}},
	}})
	var out bytes.Buffer
	if err := res.Write(&out); err != nil {
		t.Fatal(err)
	}
	want := `"signin":"broken","signin_reason":"plex.tv rejects the stored token","signin_evidence":["a: plex.tv https://plex.tv: rejects the stored token (HTTP 401)","b: server http://127.0.0.1:32400: signInState=ok"]`
	if !strings.Contains(out.String(), want) {
		t.Errorf("result %s\nlacks %s", out.String(), want)
	}
	res = NewAnsible("test", false)
	res.describe(&plan.Changes{})
	out.Reset()
	if err := res.Write(&out); err != nil || strings.Contains(out.String(), "signin") {
		t.Errorf("a plan without plex_signin: %s", out.String())
	}
}

// TestAnsibleCrashedNamesNoValue: a panic ends in a failed result that names the
// panic's type and what to do, never its value.
func TestAnsibleCrashedNamesNoValue(t *testing.T) {
	res := NewAnsible("test", false)
	res.Crashed("tok-SECRET-123456")
	var out bytes.Buffer
	if err := res.Write(&out); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, `"failed":true`) || !strings.Contains(s, "a panic of type string") || !strings.Contains(s, "plexform recover") || strings.Contains(s, "tok-SECRET") {
		t.Errorf("result %s", s)
	}
}
