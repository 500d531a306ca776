package main

import (
	"runtime/debug"
	"testing"
)

func TestVersionInfo(t *testing.T) {
	checkout := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-01-02T03:04:05Z"}, {Key: "vcs.modified", Value: "true"}}}, true
	}
	installed := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, true
	}
	none := func() (*debug.BuildInfo, bool) { return nil, false }
	for _, c := range []struct {
		name       string
		v, c, d    string
		read       func() (*debug.BuildInfo, bool)
		wv, wc, wd string
	}{
		{"stamped by release.sh wins", "1.0.0", "fff", "2025-01-01T00:00:00Z", checkout, "1.0.0", "fff", "2025-01-01T00:00:00Z"},
		{"go build in a checkout", "", "", "", checkout, devVersion, "abc123-dirty", "2026-01-02T03:04:05Z"},
		{"go install @v1.2.3", "", "", "", installed, "1.2.3", "unknown", "unknown"},
		{"no build info", "", "", "", none, devVersion, "unknown", "unknown"},
	} {
		v, cm, d := versionInfo(c.v, c.c, c.d, c.read)
		if v != c.wv || cm != c.wc || d != c.wd {
			t.Errorf("%s: versionInfo = %q %q %q, want %q %q %q", c.name, v, cm, d, c.wv, c.wc, c.wd)
		}
	}
}
