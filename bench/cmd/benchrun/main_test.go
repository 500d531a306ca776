//go:build unix

package main

import (
	"strings"
	"testing"
	"time"

	"github.com/plexform/plexform/bench/fixture"
)

func TestMedian(t *testing.T) {
	odd := series{{wall: 3}, {wall: 1}, {wall: 2}}
	if got := odd.median(wall); got != 2 {
		t.Errorf("median of 3, 1, 2 = %d, want 2", got)
	}
	even := series{{wall: 4 * time.Millisecond}, {wall: 1 * time.Millisecond}, {wall: 2 * time.Millisecond}, {wall: 10 * time.Millisecond}}
	if got := even.median(wall); got != 3*time.Millisecond {
		t.Errorf("median of 4, 1, 2, 10 ms = %s, want 3ms", got)
	}
	if got := (series{{rssKiB: 5}, {rssKiB: 9}, {rssKiB: 2}}).peakKiB(); got != 9 {
		t.Errorf("peak of 5, 9, 2 KiB = %d", got)
	}
}

// The byte comparison must tell plexform's edit from Ansible's rewrite.
func TestRewritten(t *testing.T) {
	before := fixture.Preferences()
	after := string(before)
	for _, name := range fixture.SignIn {
		i := strings.Index(after, " "+name+`="`)
		j := strings.IndexByte(after[i+len(name)+3:], '"')
		after = after[:i] + after[i+len(name)+3+j+1:]
	}
	if got := rewritten(before, []byte(after)); !strings.HasPrefix(got, "byte-identical") {
		t.Errorf("the four attributes removed: %q", got)
	}
	ansible := strings.Replace(strings.TrimSuffix(after, "\n"), `<?xml version="1.0" encoding="utf-8"?>`, `<?xml version='1.0' encoding='UTF-8'?>`, 1)
	got := rewritten(before, []byte(ansible))
	if !strings.Contains(got, "declaration") || !strings.Contains(got, "final newline dropped") {
		t.Errorf("Ansible's rewrite: %q", got)
	}
	if got := rewritten(before, before); got != "other bytes changed too" {
		t.Errorf("nothing removed: %q", got)
	}
}
