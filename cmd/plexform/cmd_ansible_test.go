package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzAnsibleArgs: any args file either is not Ansible's or decodes to parameters or a
// clear error; never a panic, and an error never quotes an argument's value.
func FuzzAnsibleArgs(f *testing.F) {
	f.Add([]byte(`{"plan_file": "/etc/plexform/plexform.yaml", "_ansible_check_mode": true, "_ansible_diff": false}`))
	f.Add([]byte(`{"plan": {"version": 1, "resources": []}, "root": "/srv", "backups_dir": "/b", "_ansible_version": "2.14.18"}`))
	f.Add([]byte(`{"plan": "tok-SECRET", "root": ["tok-SECRET"], "_ansible_diff": "tok-SECRET"}`))
	f.Add([]byte(`{"_ansible_check_mode": null, "plan": null}`))
	f.Add([]byte(`[{"_ansible_check_mode": true}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, ok := parseAnsibleArgs(data)
		if !ok {
			return
		}
		hasKey := false
		for k := range m {
			hasKey = hasKey || strings.HasPrefix(k, "_ansible_")
		}
		if !hasKey {
			t.Fatalf("accepted args without an _ansible_ key: %q", data)
		}
		p, err := decodeAnsibleParams(m)
		if err == nil {
			if (p.plan == nil) == (p.planFile == "") {
				t.Fatalf("decoded without exactly one of plan and plan_file: %q", data)
			}
			return
		}
		if strings.Contains(err.Error(), "tok-SECRET") && !strings.Contains(string(data), `"tok-SECRET`) {
			t.Fatalf("the error quotes a value: %v", err)
		}
	})
}

// An error that quotes a value would be this: a secret given where a string or a flag
// belongs.
func TestAnsibleArgsErrorsQuoteNoValue(t *testing.T) {
	m, ok := parseAnsibleArgs([]byte(`{"plan": "tok-SECRET-1", "root": ["tok-SECRET-2"], "_ansible_diff": "tok-SECRET-3"}`))
	if !ok {
		t.Fatal("not taken for Ansible's args")
	}
	_, err := decodeAnsibleParams(m)
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(err.Error(), "tok-SECRET") {
		t.Errorf("the error quotes a value: %v", err)
	}
	for _, want := range []string{"argument root must be a string", "_ansible_diff must be true or false", "argument plan must be a mapping"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q: %v", want, err)
		}
	}
}

// Detection reads no more than maxAnsibleArgs: a larger file is not an args file.
func TestAnsibleArgsFileBounded(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "args")
	data := `{"_ansible_check_mode": true, "pad": "` + strings.Repeat("x", maxAnsibleArgs) + `"}`
	if err := os.WriteFile(big, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok := ansibleArgsFile([]string{big}); ok {
		t.Error("a file over the limit was taken for an args file")
	}
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte(`{"_ansible_check_mode": true}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok := ansibleArgsFile([]string{small}); !ok {
		t.Error("a small args file was not taken for one")
	}
}

func TestMsgLine(t *testing.T) {
	err := errors.New("2 problems in the plan file:\n  - a:1:2: one\n  - a:3:4: two\n")
	if got, want := msgLine(err), "2 problems in the plan file: a:1:2: one; a:3:4: two"; got != want {
		t.Errorf("msgLine = %q, want %q", got, want)
	}
}
