package plist

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/plexform/plexform/stores"
)

const domainName = "com.plexapp.plexmediaserver"

// fakeDefaults records each command line and answers export with a fixed plist.
type fakeDefaults struct {
	export    []byte
	exportErr error
	failOn    string // a failure for the first command whose argv contains this
	calls     [][]string
	imported  []byte
}

func (f *fakeDefaults) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	argv := append([]string{name}, args...)
	f.calls = append(f.calls, argv)
	joined := strings.Join(argv, " ")
	if f.failOn != "" && strings.Contains(joined, f.failOn) {
		f.failOn = ""
		return nil, errors.New("defaults: exit status 1")
	}
	switch {
	case len(args) > 0 && args[0] == "export":
		return f.export, f.exportErr
	case len(args) > 0 && args[0] == "import":
		data, err := os.ReadFile(args[2])
		if err != nil {
			return nil, err
		}
		fi, err := os.Stat(args[2])
		if err != nil {
			return nil, err
		}
		if fi.Mode().Perm() != 0o600 {
			return nil, errors.New("the import file is not private")
		}
		f.imported = data
	}
	return nil, nil
}

func (f *fakeDefaults) commandLines() []string {
	var out []string
	for _, c := range f.calls {
		out = append(out, strings.Join(c, " "))
	}
	return out
}

func exportFixture(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/prefs.xml.plist")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// removalEdits is the Plex reset alone: every sign-in key removed.
func removalEdits() []stores.Edit {
	var edits []stores.Edit
	for _, k := range signInKeys {
		edits = append(edits, stores.Edit{Name: k, Remove: true})
	}
	return append(edits, stores.Edit{Name: "NotThere", Remove: true}) // nothing to delete: no command
}

func TestDomainRemovalCommandLines(t *testing.T) {
	run := &fakeDefaults{export: exportFixture(t)}
	if err := NewDomain(domainName, run).Write(context.Background(), removalEdits()); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"defaults export com.plexapp.plexmediaserver -",
		"defaults delete com.plexapp.plexmediaserver PlexOnlineToken",
		"defaults delete com.plexapp.plexmediaserver PlexOnlineMail",
		"defaults delete com.plexapp.plexmediaserver PlexOnlineUsername",
		"defaults delete com.plexapp.plexmediaserver PlexOnlineHome",
	}
	if d := diff(want, run.commandLines()); d != "" {
		t.Errorf("command lines (-want +got):\n%s", d)
	}
}

// TestDomainSetNeverPutsValuesOnTheCommandLine: a set goes through defaults import of a
// 0600 file (the fake checks the mode), so no value is in any argv, where other users
// could read it.
func TestDomainSetNeverPutsValuesOnTheCommandLine(t *testing.T) {
	run := &fakeDefaults{export: exportFixture(t)}
	edits := append(resetEdits(),
		stores.Edit{Name: "ManualPortMappingPort", Value: stores.Value{Type: TypeInteger, Text: "32400"}}, // unchanged
		stores.Edit{Name: "Secret", Value: stores.Value{Text: "set-secret-Hy5Jk"}},
		stores.Edit{Name: "R", Value: stores.Value{Type: TypeReal, Text: "2.5"}},
		stores.Edit{Name: "B", Value: stores.Value{Type: TypeBool, Text: "no"}},
		stores.Edit{Name: "D", Value: stores.Value{Type: TypeDate, Text: "2024-03-09T18:45:12+01:00"}},
		stores.Edit{Name: "X", Value: stores.Value{Type: TypeData, Text: "AP8="}},
	)
	if err := NewDomain(domainName, run).Write(context.Background(), edits); err != nil {
		t.Fatal(err)
	}
	if len(run.calls) != 2 || strings.Join(run.calls[0], " ") != "defaults export "+domainName+" -" ||
		strings.Join(run.calls[1][:3], " ") != "defaults import "+domainName || len(run.calls[1]) != 4 {
		t.Fatalf("command lines %q; want export, then import DOMAIN FILE", run.commandLines())
	}
	for _, argv := range run.calls {
		for _, a := range argv {
			for _, v := range []string{"set-secret-Hy5Jk", "salon", "32401", "2.5", fakeToken} {
				if strings.Contains(a, v) {
					t.Errorf("argv %q holds a value", argv)
				}
			}
		}
	}
	if _, err := os.Stat(run.calls[1][3]); !os.IsNotExist(err) {
		t.Errorf("the import file %s was left behind", run.calls[1][3])
	}
	got, err := decode(run.imported)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := decode(exportFixture(t))
	want := before.state().Values
	for _, k := range signInKeys {
		delete(want, k)
	}
	want["FriendlyName"] = stores.Value{Text: "salon ü"}
	want["NewPort"] = stores.Value{Type: TypeInteger, Text: "32401"}
	want["Secret"] = stores.Value{Text: "set-secret-Hy5Jk"}
	want["R"] = stores.Value{Type: TypeReal, Text: "2.5"}
	want["B"] = stores.Value{Type: TypeBool, Text: "false"}
	want["D"] = stores.Value{Type: TypeDate, Text: "2024-03-09T17:45:12Z"}
	want["X"] = stores.Value{Type: TypeData, Text: "AP8="}
	if d := diff(want, got.state().Values); d != "" {
		t.Errorf("the imported domain (-want +got):\n%s", d)
	}
}

func TestDomainSetCreatesMissingDomain(t *testing.T) {
	run := &fakeDefaults{exportErr: errors.New("Domain com.plexapp.plexmediaserver does not exist")}
	err := NewDomain(domainName, run).Write(context.Background(), []stores.Edit{{Name: "A", Value: stores.Value{Text: "b"}}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := decode(run.imported)
	if err != nil || len(got.root) != 1 || got.root["A"] != "b" {
		t.Errorf("imported %v, %v; want just A", got, err)
	}
}

func TestDomainWriteRollsBackOnFailure(t *testing.T) {
	for name, tc := range map[string]struct {
		edits  []stores.Edit
		failOn string
	}{
		"a delete fails":   {removalEdits(), "PlexOnlineUsername"},
		"the import fails": {resetEdits(), "import"},
	} {
		t.Run(name, func(t *testing.T) {
			export := exportFixture(t)
			run := &fakeDefaults{export: export, failOn: tc.failOn}
			err := NewDomain(domainName, run).Write(context.Background(), tc.edits)
			if err == nil || !strings.Contains(err.Error(), "put back") {
				t.Fatalf("error = %v; want one saying the domain was put back", err)
			}
			assertNoToken(t, err)
			last := run.calls[len(run.calls)-1]
			if strings.Join(last[:3], " ") != "defaults import "+domainName || len(last) != 4 {
				t.Errorf("last command %q; want defaults import DOMAIN FILE", last)
			}
			if string(run.imported) != string(export) {
				t.Errorf("the rollback imported something other than the export taken first")
			}
			if _, err := os.Stat(last[3]); !os.IsNotExist(err) {
				t.Errorf("the import file %s was left behind (it holds the token)", last[3])
			}
		})
	}
}

func TestDomainReadAndSnapshot(t *testing.T) {
	export := exportFixture(t)
	run := &fakeDefaults{export: export}
	d := NewDomain(domainName, run)
	st, err := d.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !st.Exists || st.Values["PlexOnlineToken"].Text == "" || st.Values["BigUnsigned"].Type != TypeInteger {
		t.Errorf("Read did not return the exported keys")
	}
	snap, err := d.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if snap.Ext != "plist" || string(snap.Data) != string(export) {
		t.Errorf("snapshot is not the export")
	}
	if err := d.Restore(context.Background(), snap); err != nil {
		t.Fatal(err)
	}
	if string(run.imported) != string(export) {
		t.Errorf("restore imported something else")
	}
	for _, c := range run.commandLines()[:2] {
		if c != "defaults export com.plexapp.plexmediaserver -" {
			t.Errorf("command %q", c)
		}
	}
}

func TestDomainMissingOrEmptyReadsAsNotExisting(t *testing.T) {
	for name, run := range map[string]*fakeDefaults{
		"empty dict": {export: []byte(`<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict/></plist>`)},
		"error":      {exportErr: errors.New("Domain com.plexapp.plexmediaserver does not exist")},
	} {
		st, err := NewDomain(domainName, run).Read(context.Background())
		if err != nil || st.Exists {
			t.Errorf("%s: Read = %+v, %v; want not existing", name, st, err)
		}
	}
}

func TestDomainRefusesBadInput(t *testing.T) {
	run := &fakeDefaults{export: []byte("<plist><dict><key>x</key>")}
	if _, err := NewDomain(domainName, run).Read(context.Background()); !errors.Is(err, stores.ErrMalformed) {
		t.Errorf("Read of a broken export: %v; want ErrMalformed", err)
	}
	run = &fakeDefaults{export: exportFixture(t)}
	err := NewDomain(domainName, run).Restore(context.Background(), stores.Snapshot{Data: []byte("junk\x00")})
	if !errors.Is(err, stores.ErrMalformed) || len(run.calls) != 0 {
		t.Errorf("Restore of junk: %v after %d commands; want ErrMalformed and no command", err, len(run.calls))
	}
	err = NewDomain(domainName, run).Write(context.Background(), []stores.Edit{
		{Name: "Big", Value: stores.Value{Type: "bogus", Text: "1"}}})
	if err == nil || len(run.calls) != 1 {
		t.Errorf("a value of an unknown type: %v after %d commands; want an error after the export only", err, len(run.calls))
	}
}

func TestDomainCheckWritableRefusesRoot(t *testing.T) {
	d := NewDomain(domainName, &fakeDefaults{})
	d.euid = 0
	if err := d.CheckWritable(context.Background()); err == nil || !strings.Contains(err.Error(), "without sudo") {
		t.Errorf("as root: %v", err)
	}
	d.euid = 501
	if err := d.CheckWritable(context.Background()); err != nil {
		t.Errorf("as a user: %v", err)
	}
}

func TestDomainSnapshotOfMissingDomainIsEmpty(t *testing.T) {
	run := &fakeDefaults{exportErr: errors.New("Domain com.plexapp.plexmediaserver does not exist")}
	snap, err := NewDomain(domainName, run).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	doc, err := decode(snap.Data)
	if err != nil || len(doc.root) != 0 || snap.Ext != "plist" {
		t.Errorf("snapshot of a missing domain: %q, %v; want an empty plist", snap.Data, err)
	}
}
