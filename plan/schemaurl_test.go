package plan

import "testing"

// TestSchemaURL: a release names its tag's schema; anything else, the main branch's.
func TestSchemaURL(t *testing.T) {
	for version, want := range map[string]string{
		"1.2.0":                               "https://raw.githubusercontent.com/plexform/plexform/v1.2.0/docs/plexform.schema.json",
		"1.2.0-rc.1":                          "https://raw.githubusercontent.com/plexform/plexform/v1.2.0-rc.1/docs/plexform.schema.json",
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
