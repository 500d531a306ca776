package views

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/state"
	"github.com/plexform/plexform/stores"
)

// TestLastChange: the last change is the newest backup of a store the diff covers
// (its resource name and target both), not of another store in the same backups dir;
// none when there is no backup, or no backups dir at all (which it does not create).
func TestLastChange(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "backups")
	ch := &plan.Changes{Resources: []*plan.ResourceChange{{Address: "prefs", Target: "/srv/p.xml"}}}
	f, err := LastChange(&state.Dir{Path: dir}, ch)
	if err != nil || f.LastChange != nil || f.Host == "" || f.Platform != runtime.GOOS+"/"+runtime.GOARCH {
		t.Fatalf("no backups dir: %+v, %v", f, err)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Fatal("LastChange made the backups dir")
	}
	snap := stores.Snapshot{Ext: "xml", Data: []byte("<P/>"), Meta: stores.FileMeta{UID: os.Getuid(), GID: os.Getgid(), Mode: 0o640}}
	b := &state.Dir{Path: dir}
	defer b.Close()
	ours, err := b.Save("prefs", "xml_attributes", "/srv/p.xml", "", "test", snap)
	if err != nil {
		t.Fatal(err)
	}
	// Later backups of other stores: another resource, and the same name for another file.
	for _, other := range [][2]string{{"other", "/srv/p.xml"}, {"prefs", "/srv/elsewhere.xml"}} {
		if _, err := b.Save(other[0], "xml_attributes", other[1], "", "test", snap); err != nil {
			t.Fatal(err)
		}
	}
	f, err = LastChange(&state.Dir{Path: dir}, ch)
	if err != nil || f.LastChange == nil || !f.LastChange.Equal(ours.Time) {
		t.Errorf("last change %v, %v; want the time of %s, %v", f.LastChange, err, ours.ID, ours.Time)
	}
}
