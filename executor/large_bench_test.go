package executor

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/plexform/plexform/bench/fixture"
	"github.com/plexform/plexform/internal/host"
	"github.com/plexform/plexform/plan"
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
		p, err := plan.Decode("bench.yaml", fixture.PlanWithBackups("/backups", fixture.PrefsPath))
		if err != nil {
			b.Fatal(err)
		}
		h, err := host.Open(p, host.Options{Root: root, GOOS: "linux", Getenv: func(string) (string, bool) { return "", false }})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := Apply(context.Background(), h, Options{Backups: &Backups{Dir: filepath.Join(root, "backups")}, Version: "bench"})
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
