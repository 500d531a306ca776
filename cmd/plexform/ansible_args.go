package main

// The Ansible module's arguments: the args file Ansible writes beside the module
// (cmd_ansible.go), read as hostile input and decoded into ansibleParams.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/plexform/plexform/internal/parselimit"
	"github.com/plexform/plexform/stores/fileutil"
)

// maxAnsibleArgs bounds the args file: a plan is a few kilobytes.
const maxAnsibleArgs = 1 << 20

// readAnsibleArgs reads the args file Ansible wrote: a regular file (not a symlink: Ansible
// writes the file itself), read without blocking, of at most maxAnsibleArgs bytes,
// holding one JSON object nested at most parselimit.MaxDepth deep. Once run is known
// to be the module, every way this fails is the module's failed result.
func readAnsibleArgs(path string) (map[string]json.RawMessage, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, fmt.Errorf("read the module's args file: %w", err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, fmt.Errorf("the module's args file %s is a symlink; Ansible writes a regular file there, so something else put it in place", path)
	}
	if fi.Size() > maxAnsibleArgs {
		return nil, fmt.Errorf("the module's args file %s is %d bytes, more than the %d plexform reads; a task's arguments are a few kilobytes", path, fi.Size(), maxAnsibleArgs)
	}
	// Non-blocking and regular only: a FIFO swapped in after the Lstat cannot hang us.
	f, err := fileutil.OpenRegular(path)
	if err != nil {
		return nil, fmt.Errorf("read the module's args file: %w", err)
	}
	defer f.Close()
	// What was opened must be what Lstat saw, not a symlink swapped in between.
	if opened, err := f.Stat(); err != nil || !os.SameFile(fi, opened) {
		return nil, fmt.Errorf("the module's args file %s changed while plexform opened it; nothing was run", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxAnsibleArgs+1))
	if err != nil {
		return nil, fmt.Errorf("read the module's args file: %w", err)
	}
	if len(data) > maxAnsibleArgs {
		return nil, fmt.Errorf("the module's args file %s grew past the %d bytes plexform reads while it was read", path, maxAnsibleArgs)
	}
	return parseAnsibleArgs(path, data)
}

// parseAnsibleArgs decodes an args file: one JSON object.
func parseAnsibleArgs(path string, data []byte) (map[string]json.RawMessage, error) {
	if err := jsonDepth(data); err != nil {
		return nil, fmt.Errorf("the module's args file %s: %w", path, err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil || m == nil {
		// json's messages quote the text they stop at; say where instead.
		at := "the file is not one JSON object"
		var se *json.SyntaxError
		if errors.As(err, &se) {
			at = jsonProblem(data, err)
		}
		return nil, fmt.Errorf("the module's args file %s: %s", path, at)
	}
	return m, nil
}

// jsonDepth refuses JSON that nests arrays and objects deeper than parselimit.MaxDepth;
// it checks nesting only and leaves syntax to json.Unmarshal.
func jsonDepth(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if depth++; depth > parselimit.MaxDepth {
				// InputOffset is just past the bracket that went too deep.
				return parselimit.TooDeep(data, dec.InputOffset()-1)
			}
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
}

// ansibleParams are the module's arguments.
type ansibleParams struct {
	plan       json.RawMessage // an inline plan: the mapping of a plan file
	planFile   string
	root       string
	backupsDir string
	check      bool
	diff       bool
}

// moduleArgs are the arguments the module takes; every other name that does not start
// with _ansible_ is an error.
var moduleArgs = []string{"backups_dir", "plan", "plan_file", "root"}

func decodeAnsibleParams(m map[string]json.RawMessage) (*ansibleParams, error) {
	// Check mode unless Ansible says otherwise: it always sends _ansible_check_mode as
	// true or false, and an args file without it (or with null) must not apply.
	p := &ansibleParams{check: true}
	var unknown []string
	var errs []error
	str := func(name string, into *string) {
		raw, ok := m[name]
		if !ok || string(raw) == "null" {
			return
		}
		if err := json.Unmarshal(raw, into); err != nil {
			errs = append(errs, fmt.Errorf("argument %s must be a string", name))
		}
	}
	flag := func(name string, into *bool) {
		raw, ok := m[name]
		if !ok || string(raw) == "null" {
			return
		}
		if err := json.Unmarshal(raw, into); err != nil {
			errs = append(errs, fmt.Errorf("%s must be true or false", name))
		}
	}
	for k := range m {
		if !strings.HasPrefix(k, "_ansible_") && !slices.Contains(moduleArgs, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		errs = append(errs, fmt.Errorf("unknown argument %s; plexform takes %s",
			strings.Join(quoteAll(unknown), ", "), strings.Join(moduleArgs, ", ")))
	}
	str("plan_file", &p.planFile)
	str("root", &p.root)
	str("backups_dir", &p.backupsDir)
	flag("_ansible_check_mode", &p.check)
	flag("_ansible_diff", &p.diff)
	if raw, ok := m["plan"]; ok && string(raw) != "null" {
		if !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
			errs = append(errs, errors.New("argument plan must be a mapping (what a plan file holds: version, resources, ...); to name a file on the target use plan_file"))
		} else {
			p.plan = raw
		}
	}
	switch {
	case p.plan != nil && p.planFile != "":
		errs = append(errs, errors.New("give either plan (an inline plan) or plan_file (a path on the target), not both"))
	case p.plan == nil && p.planFile == "" && len(errs) == 0:
		errs = append(errs, errors.New("missing argument: give plan (an inline plan) or plan_file (a path on the target)"))
	}
	if p.backupsDir != "" && !filepath.IsAbs(p.backupsDir) {
		errs = append(errs, fmt.Errorf("backups_dir %s must be an absolute path on the target", p.backupsDir))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

func quoteAll(s []string) []string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return q
}
