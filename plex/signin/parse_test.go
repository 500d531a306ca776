package signin

import (
	"errors"
	"strings"
	"testing"
	"unicode"

	"github.com/plexform/plexform/stores"
)

// A real PMS answer, as quoted in users' notes after a claim.
const pmsIdentity = `<?xml version="1.0" encoding="UTF-8"?>
<MediaContainer size="0" apiVersion="0.2.0" claimed="1" machineIdentifier="7920f7dbf88b58df1f41ec1f11db692769aa0c11" version="1.40.2.8395-c67dce28e">
</MediaContainer>
`

func TestParseIdentity(t *testing.T) {
	for _, tc := range []struct {
		body string
		want Identity
	}{
		{pmsIdentity, Identity{Claimed: true, MachineIdentifier: "7920f7dbf88b58df1f41ec1f11db692769aa0c11", Version: "1.40.2.8395-c67dce28e"}},
		{`<MediaContainer claimed="0"/>`, Identity{}},
		{"\ufeff<MediaContainer claimed='1' machineIdentifier='m'></MediaContainer>trailing", Identity{Claimed: true, MachineIdentifier: "m"}},
	} {
		got, err := parseIdentity([]byte(tc.body))
		if err != nil || got != tc.want {
			t.Errorf("parseIdentity(%.40q) = %+v, %v; want %+v", tc.body, got, err, tc.want)
		}
	}
	for _, body := range []string{``, `<`, `<Preferences claimed="1"/>`, `<MediaContainer/>`, `<MediaContainer claimed=""/>`, `<MediaContainer claimed="true"/>`, `<MediaContainer claimed="1">`} {
		if got, err := parseIdentity([]byte(body)); !errors.Is(err, stores.ErrMalformed) {
			t.Errorf("parseIdentity(%q) = %+v, %v; want an ErrMalformed error", body, got, err)
		}
	}
}

func TestParseAuthToken(t *testing.T) {
	for i, tc := range []struct{ body, want string }{
		{exchangeAnswer, authToken},
		{`<user authenticationToken="attr"><authentication-token> element
</authentication-token></user>`, "element"},
		{`<user authToken="old"/>`, "old"},
		{`<user authToken="old" authenticationToken="new"/>`, "new"},
		{`<user authenticationToken="new" authToken="old"/>`, "new"},
		{`<MediaContainer><authentication-token>a<!-- c -->b</authentication-token></MediaContainer>`, "ab"},
		{`<user><authentication-token><![CDATA[cd]]></authentication-token><authentication-token>second</authentication-token></user>`, "cd"},
	} {
		got, err := parseAuthToken([]byte(tc.body))
		if err != nil || got != tc.want {
			// Token values stay out of the test log, even made-up ones.
			t.Errorf("good answer #%d: err %v, token matches: %v", i, err, got == tc.want)
		}
	}
	for i, body := range []string{
		``, `<user/>`, `<other authenticationToken="x"/>`, `<user><user authenticationToken="nested"/></user>`,
		`<user><authentication-token/></user>`, `<user><authentication-token>a b</authentication-token></user>`,
		`<user><authentication-token>a&#x1;</authentication-token></user>`, `<user authenticationToken="x">`,
	} {
		if got, err := parseAuthToken([]byte(body)); !errors.Is(err, stores.ErrMalformed) || got != "" {
			t.Errorf("bad answer #%d: got a token: %v, err %v; want an ErrMalformed error", i, got != "", err)
		}
	}
}

// fixedErrorText is every word the parsers' errors can say on their own; a secret that
// is part of it cannot be told apart from a leak.
var fixedErrorText = strings.Join([]string{
	"the answer is not well-formed XML (line", "the answer is not XML of the expected shape",
	"the answer has no <authentication-token> (nor a <user authenticationToken=...>)",
	"the answer is not JSON of the expected shape", "the answer has no usable id and code",
	"the token in the answer is not a token (it holds spaces or control characters)",
	"the answer is not <MyPlex signInState=...>", "signInState is not a word",
	stores.ErrMalformed.Error(),
}, " ")

// checkNoLeak fails when err quotes secret, a run of 8+ letters and digits taken from
// the fuzzed body, unless the fixed wording contains it anyway.
func checkNoLeak(t *testing.T, err error, secret string) {
	if err == nil || len(secret) < 8 || strings.ContainsFunc(secret, func(r rune) bool { return r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r)) }) {
		return
	}
	if strings.Contains(err.Error(), secret) && !strings.Contains(fixedErrorText, secret) {
		t.Fatalf("the error quotes part of the body: %v", err)
	}
}

func FuzzParseAuthToken(f *testing.F) {
	f.Add("<user><authentication-token>", "AuthTok3nXYZ", "</authentication-token></user>")
	f.Add(`<user authenticationToken="`, "AuthTok3nXYZ", `"/>`)
	f.Add("<user><", "AuthTok3nXYZ", "></user>")
	f.Add("<user><authentication-token>&", "AuthTok3nXYZ", ";</authentication-token></user>")
	f.Add("<?xml version='1.0'?><user><authentication-token>", "AuthTok3nXYZ", "</wrong>")
	f.Add("", exchangeAnswer, "")
	f.Fuzz(func(t *testing.T, before, secret, after string) {
		body := []byte(before + secret + after)
		token, err := parseAuthToken(body)
		if err != nil {
			if token != "" || !errors.Is(err, stores.ErrMalformed) {
				t.Fatalf("parseAuthToken failed with a token or without ErrMalformed: %v", err)
			}
			checkNoLeak(t, err, secret)
			return
		}
		if token == "" || strings.ContainsFunc(token, notTokenRune) {
			t.Fatalf("parseAuthToken returned an unusable token of %d bytes", len(token))
		}
		if again, err := parseAuthToken(body); err != nil || again != token {
			t.Fatal("parseAuthToken is not deterministic")
		}
	})
}

func FuzzParseIdentity(f *testing.F) {
	f.Add(pmsIdentity)
	f.Add(`<MediaContainer claimed="0" machineIdentifier="m" version="v"/>`)
	f.Add(`<MediaContainer claimed="2"/>`)
	f.Add(`<html><head/></html>`)
	f.Add(`<MediaContainer claimed="1"`)
	f.Fuzz(func(t *testing.T, body string) {
		id, err := parseIdentity([]byte(body))
		if err != nil {
			if id != (Identity{}) || !errors.Is(err, stores.ErrMalformed) {
				t.Fatalf("parseIdentity failed with a value or without ErrMalformed: %v", err)
			}
			return
		}
		if want := strings.Contains(body, "1"); id.Claimed && !want {
			t.Fatalf("parseIdentity says claimed for a body without a 1")
		}
	})
}
