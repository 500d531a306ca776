//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestReadAnsibleArgsRefusesHostileFiles: once run is the module, an args file that is too
// big, too deep, not JSON, a symlink or a FIFO is an error (the module's failed result),
// read without blocking.
func TestReadAnsibleArgsRefusesHostileFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good", `{"_ansible_check_mode": true}`)
	if _, err := readAnsibleArgs(good); err != nil {
		t.Fatalf("a small args file: %v", err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(good, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		write("big", `{"pad": "`+strings.Repeat("x", maxAnsibleArgs)+`"}`):               "more than the 1048576 plexform reads",
		write("deep", `{"plan": `+strings.Repeat("[", 600)+strings.Repeat("]", 600)+`}`): "nesting deeper than 512 levels at line 1, column 521",
		write("bad", `{"plan": tok-SECRET}`):                                             "not valid JSON at line 1, column 11",
		write("array", `[{"_ansible_check_mode": true}]`):                                "not one JSON object",
		link: "is a symlink",
		fifo: "is a named pipe (FIFO), not a regular file",
	} {
		_, err := readAnsibleArgs(path)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("readAnsibleArgs(%s) = %v, want an error with %q", filepath.Base(path), err, want)
		}
		if err != nil && strings.Contains(err.Error(), "tok-SECRET") {
			t.Errorf("the error quotes the file: %v", err)
		}
	}
}
