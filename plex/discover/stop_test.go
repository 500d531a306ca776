package discover

import (
	"os"
	"path/filepath"
	"testing"
)

func TestManualStop(t *testing.T) {
	root := t.TempDir()
	conf := filepath.Join(root, "etc", "config", "qpkg.conf")
	if err := os.MkdirAll(filepath.Dir(conf), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte("[PlexMediaServer]\nInstall_path = /share/MD0_DATA/apps/plex\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		root, prefs, want string
	}{
		{"", "/share/CACHEDEV1_DATA/.qpkg/PlexMediaServer/Library/Plex Media Server/Preferences.xml", qnapStop},
		{"", "/share/CACHEDEV1_DATA/PlexData/Plex Media Server/Preferences.xml", qnapStop},
		{root, filepath.Join(root, "share/CACHEDEV1_DATA/.qpkg/PlexMediaServer/Library/Plex Media Server/Preferences.xml"), qnapStop},
		// Install_path from qpkg.conf, outside the usual places
		{root, filepath.Join(root, "share/MD0_DATA/apps/plex/Library/Plex Media Server/Preferences.xml"), qnapStop},
		{"", "/var/lib/plexmediaserver/Library/Application Support/Plex Media Server/Preferences.xml", ""},
		{root, "/elsewhere/share/X/PlexData/Preferences.xml", ""}, // outside the root
		{"", "", ""},
	} {
		if got := ManualStop(tc.root, tc.prefs); got != tc.want {
			t.Errorf("ManualStop(%q, %q) = %q, want %q", tc.root, tc.prefs, got, tc.want)
		}
	}
}
