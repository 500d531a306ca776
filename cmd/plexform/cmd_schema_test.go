//go:build unix

package main

import (
	"os"
	"testing"
)

// TestSchemaCommandPrintsTheCommittedSchema: `plexform schema` prints exactly
// docs/plexform.schema.json, the file every example names in its first line.
func TestSchemaCommandPrintsTheCommittedSchema(t *testing.T) {
	code, stdout, stderr := runCLI("schema")
	if code != exitOK || stderr != "" {
		t.Fatalf("schema: exit %d, stderr %q", code, stderr)
	}
	want, err := os.ReadFile("../../docs/plexform.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if stdout != string(want) {
		t.Error("plexform schema differs from docs/plexform.schema.json; regenerate it: go run ./cmd/plexform schema > docs/plexform.schema.json")
	}
	if code, _, _ := runCLI("schema", "extra"); code != exitError {
		t.Errorf("schema with an argument: exit %d, want %d", code, exitError)
	}
}
