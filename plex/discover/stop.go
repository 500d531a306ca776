package discover

import (
	"path/filepath"
	"strings"
)

// manualStops are the layouts whose Plex no service manager plexform drives, with how
// their owners stop it by hand: QNAP's package is installed, started and stopped in the
// App Center (Plex's QNAP repository, dogemackenzie/plex-qnap-repo README: "Launch the
// App Center application").
var manualStops = []struct{ glob, advice string }{
	{"/share/*/.qpkg/PlexMediaServer", qnapStop},
	{"/share/*/PlexData", qnapStop},
}

const qnapStop = "on QNAP, stop Plex Media Server in the App Center, run plexform again, then start it there"

// ManualStop says how to stop by hand the Plex whose settings file is prefs (under root
// when set), for a layout with no service manager plexform drives; "" when none is
// known.
func ManualStop(root, prefs string) string {
	p := filepath.Clean(prefs)
	if root != "" {
		rel, err := filepath.Rel(root, p)
		if err != nil || strings.HasPrefix(rel, "..") {
			return ""
		}
		p = filepath.Join("/", rel)
	}
	if dir, _, ok := qnapInstallPath(root); ok && strings.HasPrefix(p, filepath.Clean(dir)+"/") {
		return qnapStop
	}
	for d := filepath.Dir(p); d != "/" && d != "."; d = filepath.Dir(d) {
		for _, m := range manualStops {
			if ok, _ := filepath.Match(m.glob, d); ok {
				return m.advice
			}
		}
	}
	return ""
}
