package executor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/plexform/plexform/bench/fixture"
	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/state"
)

// BenchmarkApplyLarge applies the reset to one 50 MB Preferences.xml (long root
// attributes), no service: what `plexform apply` allocates for a large file. Run it with
// -memprofile to see which copies of the file are held at once; bench/run.sh measures
// the whole process's peak RSS against the file size.
func BenchmarkApplyLarge(b *testing.B) {
	data := fixture.Large(50<<20, fixture.LongAttributes)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		root := b.TempDir()
		if err := fixture.Write(root, fixture.PrefsPath, data); err != nil {
			b.Fatal(err)
		}
		h := benchHost(b, root, fixture.PlanWithBackups("/backups", fixture.PrefsPath))
		b.StartTimer()
		res, err := Apply(context.Background(), h, Options{Backups: &state.Dir{Path: filepath.Join(root, "backups")}, Version: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		if !res.Applied {
			b.Fatal("the apply changed nothing")
		}
		b.StopTimer()
		_ = os.RemoveAll(root)
		b.StartTimer()
	}
}

// BenchmarkApplyStores applies the reset to n Preferences.xml files with one resource
// each, an empty backups directory each time, no service: what `plexform apply` does
// per store, in process. bench/run.sh times the whole process over the same counts.
func BenchmarkApplyStores(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("stores=%d", n), func(b *testing.B) {
			paths := fixture.ManyPaths(n)
			planYAML := fixture.PlanWithBackups("/backups", paths...)
			for b.Loop() {
				b.StopTimer()
				root := b.TempDir()
				for _, p := range paths {
					if err := fixture.Write(root, p, fixture.Preferences()); err != nil {
						b.Fatal(err)
					}
				}
				h := benchHost(b, root, planYAML)
				b.StartTimer()
				res, err := Apply(context.Background(), h, Options{Backups: &state.Dir{Path: filepath.Join(root, "backups")}, Keep: 10, Version: "bench"})
				if err != nil {
					b.Fatal(err)
				}
				if !res.Applied || len(res.Backups) != n {
					b.Fatalf("the apply backed up %d stores, want %d", len(res.Backups), n)
				}
				b.StopTimer()
				_ = os.RemoveAll(root)
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n)/1e6, "ms/store")
		})
	}
}

// benchHost binds planYAML to the Linux tree at root, with no environment.
func benchHost(b *testing.B, root string, planYAML []byte) *host.Host {
	b.Helper()
	p, err := plan.Decode("bench.yaml", planYAML)
	if err != nil {
		b.Fatal(err)
	}
	h, err := host.Open(p, host.Options{Root: root, GOOS: "linux", Getenv: func(string) (string, bool) { return "", false }})
	if err != nil {
		b.Fatal(err)
	}
	return h
}
