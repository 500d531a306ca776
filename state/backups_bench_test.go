package state

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/plexform/plexform/stores"
)

// BenchmarkPruneStores is the backups side of one apply over N stores: take the lock,
// back up each store, prune each to keep. The directory already holds keep backups of
// every store (a host that has been applied before), so the work per iteration is the
// steady state. An apply must stay linear in N: the directory is listed and its
// manifests decoded once per apply, not once per store.
func BenchmarkPruneStores(b *testing.B) {
	const keep = 2
	snap := stores.Snapshot{Ext: "xml", Data: []byte(prefsXML), Meta: stores.FileMeta{UID: -1, GID: -1, Mode: 0o600}}
	for _, n := range []int{1, 10, 100, 1000} {
		b.Run(fmt.Sprintf("stores=%d", n), func(b *testing.B) {
			dir := filepath.Join(b.TempDir(), "backups")
			names := make([]string, n)
			for i := range names {
				names[i] = fmt.Sprintf("store%d", i)
			}
			applyOnce := func() {
				bk := &Dir{Path: dir}
				unlock, err := bk.Lock(0)
				if err != nil {
					b.Fatal(err)
				}
				defer unlock()
				for _, name := range names {
					if _, err := bk.Save(name, "xml_attributes", "/srv/"+name+"/Preferences.xml", "", "bench", snap); err != nil {
						b.Fatal(err)
					}
				}
				for _, name := range names {
					if err := bk.Prune(name, "/srv/"+name+"/Preferences.xml", keep); err != nil {
						b.Fatal(err)
					}
				}
			}
			for range keep {
				applyOnce()
			}
			b.ResetTimer()
			for b.Loop() {
				applyOnce()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/store")
		})
	}
}
