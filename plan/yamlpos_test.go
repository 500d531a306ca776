package plan_test

import (
	_ "github.com/plexform/plexform/kinds"
	. "github.com/plexform/plexform/plan"
	"strings"
	"testing"
)

// TestSyntaxErrorLine: a YAML syntax error names the line where the problem is; yaml.v3
// names the line above the enclosing block, or the line of the key before.
func TestSyntaxErrorLine(t *testing.T) {
	for name, tc := range map[string]struct {
		yaml string
		want string
	}{
		"flow mapping not closed": {
			"version: 1\nresources:\n  - {name: p, kind: xml_attributes, path: /x, absent: [A]\n  - {name: q, kind: xml_attributes, path: /y, absent: [A]}\n",
			"bad.yaml:3:3: not valid YAML: did not find expected ',' or '}'",
		},
		"line indented one space too little": {
			"version: 1\nresources:\n  - name: p\n    kind: xml_attributes\n   path: /x\n    absent: [A]\n",
			"bad.yaml:5:4: not valid YAML: did not find expected '-' indicator",
		},
		"flow mapping on a key not closed": {
			"version: 1\nbackups: {dir: /b\nresources:\n  - {name: p, kind: xml_attributes, path: /x, absent: [A]}\n",
			"bad.yaml:2:1: not valid YAML:",
		},
		"quote not closed": {
			"version: 1\nresources:\n  - name: \"p\n    kind: x\n  - name: q\n",
			"bad.yaml:3:3: not valid YAML: found unexpected end of stream",
		},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Decode("bad.yaml", []byte(tc.yaml))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("got %v, want %s...", err, tc.want)
			}
		})
	}
}

// TestSyntaxErrorLineBounded: past MaxSyntaxSearch the parser's own line stands.
func TestSyntaxErrorLineBounded(t *testing.T) {
	data := "version: 1\nresources:\n  - {name: p\n" + strings.Repeat("# a comment line that pads the file out\n", MaxSyntaxSearch/40)
	if _, ok := SyntaxErrorPos([]byte(data)); ok {
		t.Fatal("searched past the bound")
	}
	_, err := Decode("bad.yaml", []byte(data))
	if err == nil || !strings.Contains(err.Error(), "not valid YAML") {
		t.Fatalf("got %v", err)
	}
}

// BenchmarkSyntaxErrorPos: a "{" left open on line 3 of a plan of 100 resources (a
// large plan), so every longer run of lines is parsed (each fails soon after line 3).
func BenchmarkSyntaxErrorPos(b *testing.B) {
	data := []byte("version: 1\nresources:\n  - {name: p\n" + strings.Repeat("  - {name: q, kind: xml_attributes, path: /y, absent: [A]}\n", 100))
	for b.Loop() {
		if _, ok := SyntaxErrorPos(data); !ok {
			b.Fatal("not found")
		}
	}
}

// BenchmarkSyntaxErrorPosQuote: a quote left open on line 3 of a plan of 100
// resources, so that each longer run of lines is parsed to its end: the worst case.
func BenchmarkSyntaxErrorPosQuote(b *testing.B) {
	data := []byte("version: 1\nresources:\n  - {name: \"p\n" + strings.Repeat("  - {name: q, kind: xml_attributes, path: /y, absent: [A]}\n", 100))
	for b.Loop() {
		if _, ok := SyntaxErrorPos(data); !ok {
			b.Fatal("not found")
		}
	}
}
