package main

import (
	"strings"
	"testing"
)

// FuzzAnsibleArgs: any args file decodes to parameters or a clear error; never a panic,
// and an error never quotes a value.
func FuzzAnsibleArgs(f *testing.F) {
	f.Add([]byte(`{"plan_file": "/etc/plexform/plexform.yaml", "_ansible_check_mode": true, "_ansible_diff": false}`))
	f.Add([]byte(`{"plan": {"version": 1, "resources": []}, "root": "/srv", "backups_dir": "/b", "_ansible_version": "2.14.18"}`))
	f.Add([]byte(`{"plan": "tok-SECRET", "root": ["tok-SECRET"], "_ansible_diff": "tok-SECRET"}`))
	f.Add([]byte(`{"_ansible_check_mode": null, "plan": null}`))
	f.Add([]byte(`[{"_ansible_check_mode": true}]`))
	f.Add([]byte(`{"plan": tok-SECRET}`))
	f.Add([]byte(strings.Repeat("[", 600)))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseAnsibleArgs("args", data)
		if err == nil {
			var p *ansibleParams
			if p, err = decodeAnsibleParams(m); err == nil {
				if (p.plan == nil) == (p.planFile == "") {
					t.Fatalf("decoded without exactly one of plan and plan_file: %q", data)
				}
				return
			}
		}
		if strings.Contains(err.Error(), "tok-SECRET") && !strings.Contains(string(data), `"tok-SECRET`) {
			t.Fatalf("the error quotes a value: %v", err)
		}
	})
}

// TestAnsibleArgsPath: the module runs only as Ansible starts it (AnsiballZ_<name>
// beside its args file in an ansible-tmp-* dir, or, under Mitogen, the program beside an
// ansible_mitogen*-args file); a file in the working directory named
// like a mistyped command is never an args file, whatever it holds.
func TestAnsibleArgsPath(t *testing.T) {
	const tmp = "/root/.ansible/tmp/ansible-tmp-1796655200.4136887-11711-69275192803397"
	for _, tc := range []struct {
		argv0 string
		args  []string
		ok    bool
	}{
		// what ansible-playbook 2.14.18 passed, sync and async alike
		{tmp + "/AnsiballZ_plexform", []string{tmp + "/args"}, true},
		{"ansible-tmp-1-2-3/AnsiballZ_plexform", []string{"ansible-tmp-1-2-3/args"}, true},
		// a user at a shell
		{"plexform", []string{"aply"}, false},
		{"/usr/local/bin/plexform", []string{tmp + "/args"}, false},
		{"plexform", []string{"args"}, false},
		// Ansible's binary name, but not its args file
		{tmp + "/AnsiballZ_plexform", []string{"aply"}, false},
		{tmp + "/AnsiballZ_plexform", []string{tmp + "/aply"}, false},
		{tmp + "/AnsiballZ_plexform", []string{"/tmp/x/args"}, false},
		{tmp + "/AnsiballZ_plexform", []string{"/root/.ansible/tmp/ansible-tmp-9/args"}, false},
		{tmp + "/AnsiballZ_plexform", []string{tmp + "/args", "extra"}, false},
		{tmp + "/AnsiballZ_plexform", nil, false},
		// the Mitogen strategy (ansible_mitogen/runner.py, BinaryRunner): the program
		// under its own name beside a NamedTemporaryFile ansible_mitogen*-args
		{"/root/.ansible/tmp/ansible_mitogen_runner_x1/plexform", []string{"/root/.ansible/tmp/ansible_mitogen_runner_x1/ansible_mitogenk2j_8qz1-args"}, true},
		{"/root/.ansible/tmp/ansible_mitogen_runner_x1/plexform", []string{"/tmp/ansible_mitogenk2j_8qz1-args"}, false},
		{"plexform", []string{"/tmp/m/ansible_mitogenk2j_8qz1-args"}, false},
		{"/tmp/m/plexform", []string{"/tmp/m/ansible_mitogen-args"}, false},
		{"/tmp/m/plexform", []string{"/tmp/m/ansible_mitogenk2j_8qz1"}, false},
		{"/tmp/m/plexform", []string{"/tmp/m/ansible_mitogenk2j_8qz1-args", "apply"}, false},
	} {
		if _, ok := ansibleArgsPath(tc.argv0, tc.args); ok != tc.ok {
			t.Errorf("ansibleArgsPath(%q, %q) = %v, want %v", tc.argv0, tc.args, ok, tc.ok)
		}
	}
}

// An error that quotes a value would be this: a secret given where a string or a flag
// belongs.
func TestAnsibleArgsErrorsQuoteNoValue(t *testing.T) {
	m, err := parseAnsibleArgs("args", []byte(`{"plan": "tok-SECRET-1", "root": ["tok-SECRET-2"], "_ansible_diff": "tok-SECRET-3"}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = decodeAnsibleParams(m)
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

// An args file without _ansible_check_mode, or with null, is check mode: only Ansible's
// explicit false applies.
func TestCheckModeUnlessAnsibleSaysFalse(t *testing.T) {
	for args, check := range map[string]bool{
		`{"plan_file": "p.yaml"}`:                               true,
		`{"plan_file": "p.yaml", "_ansible_check_mode": null}`:  true,
		`{"plan_file": "p.yaml", "_ansible_check_mode": true}`:  true,
		`{"plan_file": "p.yaml", "_ansible_check_mode": false}`: false,
	} {
		m, err := parseAnsibleArgs("args", []byte(args))
		if err != nil {
			t.Fatal(err)
		}
		p, err := decodeAnsibleParams(m)
		if err != nil {
			t.Fatal(err)
		}
		if p.check != check {
			t.Errorf("%s: check mode %v, want %v", args, p.check, check)
		}
	}
}
