package plist

import (
	"encoding/json"
	"github.com/plexform/plexform/internal/testtool"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeToken is the PlexOnlineToken in the fixtures; no error text or test output may
// contain it.
const fakeToken = "fake-token-Zx9qW3rT5yU7iO1pA"

// needTool skips when a cross-checking tool is missing, except in CI where it must be.
func needTool(t testing.TB, name string) string {
	t.Helper()
	return testtool.Require(t, name, "python3 or libplist-utils")
}

// fixture copies testdata/name into a fresh directory and returns the copy's path.
func fixture(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "com.plexapp.plexmediaserver.plist")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// pythonDump is plistlib's view of a plist: every value tagged with its type, so that
// 1, 1.0, "1" and True all differ.
const pythonDump = `
import base64, datetime, json, plistlib, sys
def conv(v):
    if isinstance(v, bool): return {"b": v}
    if isinstance(v, int): return {"i": str(v)}
    if isinstance(v, float): return {"r": repr(v)}
    if isinstance(v, str): return {"s": v}
    if isinstance(v, bytes): return {"x": base64.b64encode(v).decode()}
    if isinstance(v, datetime.datetime): return {"d": v.isoformat()}
    if isinstance(v, dict): return {"dict": {k: conv(x) for k, x in v.items()}}
    if isinstance(v, list): return {"array": [conv(x) for x in v]}
    if isinstance(v, plistlib.UID): return {"uid": v.data}
    raise TypeError(type(v))
with open(sys.argv[1], "rb") as f:
    print(json.dumps(conv(plistlib.load(f))["dict"]))
`

// readWithPython parses path with Python's plistlib.
func readWithPython(t testing.TB, path string) map[string]any {
	t.Helper()
	py := needTool(t, "python3")
	out, err := exec.Command(py, "-c", pythonDump, path).Output()
	if err != nil {
		t.Fatalf("plistlib cannot read %s: %v", path, err) // stderr is not shown: it may quote values
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// readWithPlistutil converts path to XML with libplist's plistutil and parses that with
// plistlib, so libplist is the reader of the file under test.
func readWithPlistutil(t testing.TB, path string) map[string]any {
	t.Helper()
	pu := needTool(t, "plistutil")
	xmlPath := filepath.Join(t.TempDir(), "plistutil.xml")
	if err := exec.Command(pu, "-i", path, "-o", xmlPath, "-f", "xml").Run(); err != nil {
		t.Fatalf("plistutil cannot read %s: %v", path, err)
	}
	return readWithPython(t, xmlPath)
}

// wholeSeconds drops the fraction of every date in a plistlib dump: plistutil's XML
// output keeps only whole seconds, as the XML plist format does.
func wholeSeconds(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if s, ok := e.(string); ok && k == "d" {
				s, _, _ = strings.Cut(s, ".")
				out[k] = s
				continue
			}
			out[k] = wholeSeconds(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = wholeSeconds(e)
		}
		return out
	}
	return v
}

// diff is cmp.Diff with the token masked, so a failing test does not print it.
func diff(want, got any) string {
	return strings.ReplaceAll(cmp.Diff(want, got), fakeToken, "<token>")
}

func assertNoToken(t testing.TB, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), fakeToken) {
		t.Errorf("an error message contains the token")
	}
}
