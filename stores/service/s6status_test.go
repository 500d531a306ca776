//go:build unix

package service

import (
	"context"
	"encoding/hex"
	"strings"
	"sync"
	"testing"

	"github.com/plexform/plexform/internal/testtool"
)

// The status files below are as s6-supervise 2.11.3 wrote them (read with xxd): a
// service up as pid 23080 and wanted up, then down after s6-svc -d (SIGTERM, ready).
func TestDecodeS6Status(t *testing.T) {
	const stamps = "400000006b0b3bad161a2287" + "400000006b0b3bad14d5d7aa"
	for _, tc := range []struct {
		name, hex string
		ok        bool
		want      s6Status
	}{
		{"up", stamps + "0000000000005a28" + "0000" + "04", true, s6Status{up: true, line: "up (pid 23080)"}},
		{"down after s6-svc -d", stamps + "0000000000000000" + "000f" + "08", true, s6Status{line: "down"}},
		{"up, want down", stamps + "0000000000005a28" + "0000" + "00", true, s6Status{up: true, wantDown: true, line: "up (pid 23080), want down"}},
		{"down, want up", stamps + "0000000000000000" + "0100" + "04", true, s6Status{wantUp: true, line: "down, want up"}},
		{"finishing is down", stamps + "0000000000005a28" + "0000" + "06", true, s6Status{wantUp: true, line: "down, want up"}},
		{"a flag this layout does not have", stamps + "0000000000005a28" + "0000" + "14", false, s6Status{}},
		{"too short (an older s6)", stamps[:40] + "0000000000005a28" + "04", false, s6Status{}},
		{"too long (a newer s6)", stamps + "0000000000005a28" + "0000000000005a28" + "0000" + "04", false, s6Status{}},
	} {
		b, err := hex.DecodeString(tc.hex)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := decodeS6Status(b)
		if ok != tc.ok || got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

// countingRunner runs commands for real and counts them.
type countingRunner struct {
	mu    sync.Mutex
	calls map[string]int
}

func (c *countingRunner) Run(ctx context.Context, argv []string) ([]byte, error) {
	c.mu.Lock()
	c.calls[argv[0]]++
	c.mu.Unlock()
	return OSRunner{}.Run(ctx, argv)
}

func (c *countingRunner) count(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[name]
}

// Under a real s6-supervise, the status file tells what s6-svstat tells, up and down;
// once they agreed, Running starts no s6-svstat.
func TestS6StatusFileAgreesWithSvstat(t *testing.T) {
	svc, _ := supervise(t)
	ctx := context.Background()
	r := &countingRunner{calls: map[string]int{}}
	svc.run = r
	// The first Running asks s6-svstat and compares it with the file.
	if up, err := svc.Running(ctx); err != nil || !up || r.count("s6-svstat") != 1 {
		t.Fatalf("first Running: %v, %v, after %d s6-svstat runs", up, err, r.count("s6-svstat"))
	}
	for _, move := range []struct {
		name string
		do   func(context.Context) error
		up   bool
	}{{"running", nil, true}, {"stopped", svc.Stop, false}, {"started", svc.Start, true}} {
		if move.do != nil {
			if err := move.do(ctx); err != nil {
				t.Fatal(err)
			}
			if err := WaitFor(ctx, svc, move.up, waitLimit, nil); err != nil {
				t.Fatal(err)
			}
		}
		out, err := OSRunner{}.Run(ctx, []string{"s6-svstat", svc.Dir})
		if err != nil {
			t.Fatal(err)
		}
		want, err := parseS6Status(string(out))
		if err != nil {
			t.Fatal(err)
		}
		got, ok := readS6StatusFile(svc.Dir)
		if !ok || !got.sameState(want) {
			t.Fatalf("%s: the status file reads %+v (recognised: %v), s6-svstat printed %q", move.name, got, ok, strings.TrimSpace(string(out)))
		}
		before := r.count("s6-svstat")
		up, err := svc.Running(ctx)
		if err != nil || up != move.up {
			t.Fatalf("%s: Running = %v, %v", move.name, up, err)
		}
		if n := r.count("s6-svstat") - before; n != 0 {
			t.Errorf("%s: Running started s6-svstat %d times after the file and s6-svstat agreed", move.name, n)
		}
	}
}

// A directory no s6-supervise watches is never read from its status file: s6-svstat
// says why.
func TestS6StatusFileNeedsTheSupervisor(t *testing.T) {
	testtool.Require(t, "s6-svstat", "s6")
	svc, _ := supervise(t)
	if _, ok := readS6StatusFile(svc.Dir); !ok {
		t.Fatal("the status file of a supervised service is not recognised")
	}
	if _, ok := readS6StatusFile(t.TempDir()); ok {
		t.Error("a directory without a supervisor reads as a status")
	}
}
