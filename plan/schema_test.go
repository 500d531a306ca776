package plan_test

import (
	"bytes"
	"encoding/json"
	_ "github.com/plexform/plexform/kinds"
	. "github.com/plexform/plexform/plan"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/plexform/plexform/internal/testtool"
)

// SchemaHeader is the first line of every example plan: yaml-language-server (VS Code's
// YAML extension, Neovim, Helix...) then checks the file against the committed schema.
const schemaHeader = "# yaml-language-server: $schema=../docs/plexform.schema.json"

// TestSchemaFileIsCurrent: docs/plexform.schema.json is what `plexform schema` prints,
// so the committed file the examples point at never drifts from the table of kinds.
func TestSchemaFileIsCurrent(t *testing.T) {
	want, err := Schema(SchemaMainURL)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../docs/plexform.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("docs/plexform.schema.json differs from the table of kinds; regenerate it: go run ./cmd/plexform schema > docs/plexform.schema.json")
	}
}

func TestExamplesNameTheSchema(t *testing.T) {
	files, _ := filepath.Glob("../examples/*.yaml")
	if len(files) == 0 {
		t.Fatal("no examples")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if first, _, _ := strings.Cut(string(data), "\n"); first != schemaHeader {
			t.Errorf("%s starts with %q, want %q", f, first, schemaHeader)
		}
	}
}

// validateScript checks each document against the schema with python3-jsonschema, an
// implementation independent of this one, and prints {file: [errors]}. The plans are
// read as YAML by the decoder's own YAML library and handed over as JSON, so both
// sides see the same values (PyYAML would read yes/no as booleans, YAML 1.1 style).
const validateScript = `
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
docs = json.load(open(sys.argv[2]))
print(json.dumps({f: [e.message for e in v.iter_errors(doc)] for f, doc in docs.items()}))
`

// TestSchemaAndValidateAgree: every example and good plan passes both the schema (in
// python3-jsonschema) and the decoder, and every bad plan in testdata/schema/bad is
// refused by both.
func TestSchemaAndValidateAgree(t *testing.T) {
	python := testtool.Require(t, "python3", "python3-jsonschema")
	if out, err := exec.Command(python, "-c", "import jsonschema").CombinedOutput(); err != nil {
		testtool.Unavailable(t, "python3 cannot import jsonschema (Debian package python3-jsonschema): "+string(out))
	}
	schema, err := Schema(SchemaMainURL)
	if err != nil {
		t.Fatal(err)
	}
	schemaFile := filepath.Join(t.TempDir(), "plexform.schema.json")
	if err := os.WriteFile(schemaFile, schema, 0o644); err != nil {
		t.Fatal(err)
	}
	examples, _ := filepath.Glob("../examples/*.yaml")
	goodPlans, _ := filepath.Glob("testdata/schema/good/*.yaml")
	good := append(examples, goodPlans...)
	bad, _ := filepath.Glob("testdata/schema/bad/*.yaml")
	if len(good) < 7 || len(bad) < 40 {
		t.Fatalf("%d good and %d bad plans found", len(good), len(bad))
	}
	docs := map[string]any{}
	for _, f := range append(append([]string{}, good...), bad...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		docs[f] = doc
	}
	docsJSON, err := json.Marshal(docs)
	if err != nil {
		t.Fatal(err)
	}
	docsFile := filepath.Join(t.TempDir(), "plans.json")
	if err := os.WriteFile(docsFile, docsJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "-c", validateScript, schemaFile, docsFile)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3-jsonschema: %v\n%s", err, stderr.String())
	}
	var schemaErrs map[string][]string
	if err := json.Unmarshal(out, &schemaErrs); err != nil {
		t.Fatalf("python3-jsonschema's answer %q: %v", out, err)
	}
	for _, f := range good {
		if errs := schemaErrs[f]; len(errs) > 0 {
			t.Errorf("the schema refuses %s: %v", f, errs)
		}
		if _, err := Load(f); err != nil {
			t.Errorf("validate refuses %s: %v", f, err)
		}
	}
	for _, f := range bad {
		if len(schemaErrs[f]) == 0 {
			t.Errorf("the schema accepts %s", f)
		}
		if _, err := Load(f); err == nil {
			t.Errorf("validate accepts %s", f)
		}
	}
}
