package plan

import "testing"

// TestSchemaURL: a release names the schema published with it; anything else, the main
// branch's.
func TestSchemaURL(t *testing.T) {
	for version, want := range map[string]string{
		"1.2.0":                               "https://github.com/plexform/plexform/releases/download/v1.2.0/plexform.schema.json",
		"1.2.0-rc.1":                          "https://github.com/plexform/plexform/releases/download/v1.2.0-rc.1/plexform.schema.json",
		"devel":                               SchemaMainURL,
		"dev":                                 SchemaMainURL,
		"0.0.0-20261207153938-f95efc5abcde":   SchemaMainURL,
		"1.2.1-0.20261207153938-f95efc5abcde": SchemaMainURL,
		"0.0.0-20261207153938-f95efc5abcde+dirty": SchemaMainURL,
	} {
		if got := SchemaURL(version); got != want {
			t.Errorf("SchemaURL(%q) = %s, want %s", version, got, want)
		}
	}
}
