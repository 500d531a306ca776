package plan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// savedSeeds are saved plans made by plan -out (testdata/saved/*.plan) and crafted ones.
func savedSeeds(t testing.TB) [][]byte {
	files, err := filepath.Glob(filepath.Join("testdata", "saved", "*.plan"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no saved plans in testdata/saved: %v", err)
	}
	var out [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// TestParseSavedRefusesNullEntries: what plan -out never writes (a null in any list: a
// service, claim, value, guard or line of evidence; an action it does not know) is refused with a clear error, not a crash in
// show or apply.
func TestParseSavedRefusesNullEntries(t *testing.T) {
	good := string(savedSeeds(t)[0])
	if _, err := ParseSaved("good.plan", []byte(good)); err != nil {
		t.Fatalf("a saved plan made by plan -out: %v", err)
	}
	cases := map[string]struct{ old, new, want string }{
		"null service":   {`"services": [`, `"services": [null, `, "services[0] is null"},
		"null claim":     {`"claims": [`, `"claims": [null, `, "claims[0] is null"},
		"null resource":  {`"resources": [`, `"resources": [null, `, "resources[0] is null"},
		"null value":     {`"values": [`, `"values": [null, `, "resources[0].values[0] is null"},
		"null guard":     {`"guards": [`, `"guards": [null, `, "services[0].guards[0] is null"},
		"null signin":    {`"claims": [`, `"signins": [null], "claims": [`, "signins[0] is null"},
		"null evidence":  {`"claims": [`, `"signins": [{"address": "s", "evidence": ["ok", null]}], "claims": [`, "signins[0].evidence[1] is null"},
		"add, no after":  {`"action": "remove"`, `"action": "add", "after": null`, "is to add a value but has no after"},
		"unknown action": {`"action": "remove"`, `"action": "explode"`, `unknown action "explode"`},
		"unknown kind":   {`"kind": "xml_attributes"`, `"kind": "nonsense"`, "has no address, kind or target"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			crafted := strings.Replace(good, tc.old, tc.new, 1)
			if crafted == good {
				t.Fatalf("the seed has no %s", tc.old)
			}
			_, err := ParseSaved("crafted.plan", []byte(crafted))
			if err == nil || !strings.Contains(err.Error(), "crafted.plan is a damaged saved plan") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a damaged saved plan: %s", err, tc.want)
			}
		})
	}
}

// FuzzParseSaved: no saved plan, however crafted, crashes the decoder or what show and
// apply do with a decoded one; refusals name the file.
func FuzzParseSaved(f *testing.F) {
	for _, s := range savedSeeds(f) {
		f.Add(s)
	}
	// Crafted ones (null entries) are in testdata/fuzz/FuzzParseSaved.
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSaved("fuzz.plan", data)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.plan") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		// What show and apply do with it.
		ch := s.Changes()
		ch.HasChanges()
		ch.Summary()
		for _, rc := range ch.Resources {
			rc.Edits()
		}
		for _, sc := range ch.Services {
			_ = sc.Address + string(sc.Action) + sc.StateError
		}
		for _, cc := range ch.Claims {
			_ = cc.Address + cc.Reason
		}
		s.Stale(ch)
	})
}
