package host_test

import (
	"context"
	"testing"

	"github.com/plexform/plexform/bench/fixture"
	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/plan"
)

// benchmarkPlan times what `plexform plan` does between reading the plan file and
// printing: decode, bind to the host, read every store and diff. removals is what the
// diff must find, so a benchmark that silently diffs nothing fails instead.
func benchmarkPlan(b *testing.B, paths []string, data func(i int) []byte) {
	root := b.TempDir()
	for i, p := range paths {
		if err := fixture.Write(root, p, data(i)); err != nil {
			b.Fatal(err)
		}
	}
	planFile := fixture.Plan(paths...)
	want := len(paths) * len(fixture.SignIn)
	opts := host.Options{Root: root, GOOS: "linux", Getenv: func(string) (string, bool) { return "", false }}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p, err := plan.Decode("bench.yaml", planFile)
		if err != nil {
			b.Fatal(err)
		}
		h, err := host.Open(p, opts)
		if err != nil {
			b.Fatal(err)
		}
		ch, err := h.Diff(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if _, _, removed := ch.Summary(); removed != want {
			b.Fatalf("the plan removes %d values, want %d", removed, want)
		}
	}
}

func BenchmarkPlanReset(b *testing.B) {
	benchmarkPlan(b, []string{fixture.PrefsPath}, func(int) []byte { return fixture.Preferences() })
}

func BenchmarkPlan1000Files(b *testing.B) {
	benchmarkPlan(b, fixture.ManyPaths(1000), func(int) []byte { return fixture.Preferences() })
}

func BenchmarkPlan5MB(b *testing.B) {
	for _, shape := range []fixture.Shape{fixture.LongAttributes, fixture.ChildContent} {
		b.Run(shape.String(), func(b *testing.B) {
			big := fixture.Large(5<<20, shape)
			b.SetBytes(int64(len(big)))
			benchmarkPlan(b, []string{fixture.PrefsPath}, func(int) []byte { return big })
		})
	}
}
