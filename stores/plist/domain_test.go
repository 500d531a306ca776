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

func TestDomainWriteCommandLines(t *testing.T) {
	run := &fakeDefaults{export: exportFixture(t)}
	d := NewDomain(domainName, run)
	edits := append(resetEdits(),
		stores.Edit{Name: "NotThere", Remove: true},                                                       // nothing to delete: no command
		stores.Edit{Name: "ManualPortMappingPort", Value: stores.Value{Type: TypeInteger, Text: "32400"}}, // unchanged
		stores.Edit{Name: "R", Value: stores.Value{Type: TypeReal, Text: "2.5"}},
		stores.Edit{Name: "B", Value: stores.Value{Type: TypeBool, Text: "no"}},
		stores.Edit{Name: "D", Value: stores.Value{Type: TypeDate, Text: "2024-03-09T18:45:12+01:00"}},
		stores.Edit{Name: "X", Value: stores.Value{Type: TypeData, Text: "AP8="}},
	)
	if err := d.Write(context.Background(), edits); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"defaults export com.plexapp.plexmediaserver -",
		"defaults delete com.plexapp.plexmediaserver PlexOnlineToken",
		"defaults delete com.plexapp.plexmediaserver PlexOnlineMail",
		"defaults delete com.plexapp.plexmediaserver PlexOnlineUsername",
		"defaults delete com.plexapp.plexmediaserver PlexOnlineHome",
		"defaults write com.plexapp.plexmediaserver FriendlyName -string salon ü",
		"defaults write com.plexapp.plexmediaserver NewPort -integer 32401",
		"defaults write com.plexapp.plexmediaserver R -float 2.5",
		"defaults write com.plexapp.plexmediaserver B -bool false",
		"defaults write com.plexapp.plexmediaserver D -date 2024-03-09 17:45:12 +0000",
		"defaults write com.plexapp.plexmediaserver X -data 00ff",
	}
	if d := diff(want, run.commandLines()); d != "" {
		t.Errorf("command lines (-want +got):\n%s", d)
	}
	// Each argument is its own argv element: a value with spaces is not split.
	if got := run.calls[5]; len(got) != 6 || got[5] != "salon ü" {
		t.Errorf("argv %q", got)
	}
}

func TestDomainWriteRollsBackOnFailure(t *testing.T) {
	export := exportFixture(t)
	run := &fakeDefaults{export: export, failOn: "PlexOnlineUsername"}
	err := NewDomain(domainName, run).Write(context.Background(), resetEdits())
	if err == nil || !strings.Contains(err.Error(), "PlexOnlineUsername") || !strings.Contains(err.Error(), "put back") {
		t.Fatalf("error = %v; want one naming the key and saying the domain was put back", err)
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
		{Name: "Big", Value: stores.Value{Type: TypeInteger, Text: "18446744073709551615"}}})
	if err == nil || len(run.calls) != 1 {
		t.Errorf("a uint64 defaults cannot take: %v after %d commands", err, len(run.calls))
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
