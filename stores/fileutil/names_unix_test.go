//go:build unix

package fileutil

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestRootNamesFromTheTree: under a -root, owners are named from the tree's accounts;
// a FIFO, an oversized file or a symlink out of the tree names nothing, and never blocks.
func TestRootNamesFromTheTree(t *testing.T) {
	tree := t.TempDir()
	etc := filepath.Join(tree, "etc")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(etc, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("passwd", "# comment\nroot:x:0:0::/root:/bin/sh\nplex:x:999:998:Plex:/var/lib/plex:/usr/sbin/nologin\n")
	write("group", "plexgrp:x:998:\n")
	r := RootAt(tree)
	if got := r.DescribeOwner(999, 998); got != "plex:plexgrp (999:998)" {
		t.Errorf("DescribeOwner = %q", got)
	}
	if got := r.DescribeUser(12345); got != "uid 12345" {
		t.Errorf("unknown uid: %q", got)
	}

	if err := os.Remove(filepath.Join(etc, "group")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(etc, "group"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := r.GroupName(998); got != "" {
		t.Errorf("group from a FIFO: %q", got)
	}

	write("passwd", "plex:x:999:998::/:/bin/sh\n"+strings.Repeat("#\n", maxAccountsFile))
	if got := r.UserName(999); got != "" {
		t.Errorf("user from a file over the bound: %q", got)
	}

	if err := os.Remove(filepath.Join(etc, "passwd")); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "passwd")
	if err := os.WriteFile(outside, []byte("outsider:x:999:998::/:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(etc, "passwd")); err != nil {
		t.Fatal(err)
	}
	if got := r.UserName(999); got == "outsider" {
		t.Error("followed a symlink out of the tree")
	}
}
