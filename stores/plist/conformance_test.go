package plist

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"howett.net/plist"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/storetest"
)

// conformanceValues are values of every type a plist holds.
var conformanceValues = map[string]stores.Value{
	"FriendlyName":          {Text: "den & <kitchen>"},
	"ManualPortMappingPort": {Type: TypeInteger, Text: "32400"},
	"NegativeOffset":        {Type: TypeInteger, Text: "-42"},
	"TranscoderQuality":     {Type: TypeReal, Text: "2.5"},
	"AcceptedEULA":          {Type: TypeBool, Text: "true"},
	"LastUpdateCheck":       {Type: TypeDate, Text: "2024-03-09T17:45:12Z"},
	"Blob":                  {Type: TypeData, Text: "AAEC/w=="},
}

// rootOf turns values into what the encoder takes.
func rootOf(t testing.TB, values map[string]stores.Value) map[string]any {
	root := make(map[string]any, len(values))
	for k, v := range values {
		x, err := parseValue(v)
		if err != nil {
			t.Fatalf("fixture value %s: %v", k, err)
		}
		root[k] = x
	}
	return root
}

func TestConformance(t *testing.T) {
	for name, format := range map[string]int{"binary": plist.BinaryFormat, "XML": plist.XMLFormat} {
		t.Run(name, func(t *testing.T) {
			encode := func(t testing.TB, values map[string]stores.Value) []byte {
				data, err := plist.MarshalIndent(rootOf(t, values), format, "\t")
				if err != nil {
					t.Fatal(err)
				}
				return data
			}
			malformed := func(secret string) []byte {
				good := encode(t, map[string]stores.Value{"PlexOnlineToken": {Text: secret}, "A": {Text: "b"}})
				return good[:len(good)-12] // cut short, as a write interrupted by a crash leaves it
			}
			h := storetest.FileHarness("com.plexapp.plexmediaserver.plist", encode,
				func(path string) stores.Store { return NewFile(path) }, malformed)
			h.Values = conformanceValues
			h.Set = stores.Value{Type: TypeInteger, Text: "32401"}
			h.Invalid = stores.Edit{Name: "Bad", Value: stores.Value{Type: "bogus", Text: "1"}}
			storetest.Run(t, h)
		})
	}
}

// memDefaults is the defaults command over one in-memory domain: export prints it as an
// XML plist, import replaces it from a file (which must be 0600), delete removes a key or
// the domain. It refuses `defaults write`, which would put a value on a command line.
type memDefaults struct {
	domain  map[string]any // nil: no such domain
	refused bool           // every change fails, as on a broken cfprefsd
}

func (m *memDefaults) Run(_ context.Context, name string, args ...string) ([]byte, error) {
	if name != "defaults" || len(args) < 2 || args[1] != domainName {
		return nil, fmt.Errorf("unexpected command %s %q", name, args)
	}
	if args[0] != "export" && m.refused {
		return nil, errors.New("defaults: exit status 1: cannot change the domain")
	}
	switch {
	case args[0] == "export" && len(args) == 3 && args[2] == "-":
		if m.domain == nil {
			return nil, errors.New("defaults: exit status 1: Domain " + domainName + " does not exist")
		}
		return plist.MarshalIndent(m.domain, plist.XMLFormat, "\t")
	case args[0] == "import" && len(args) == 3:
		fi, err := os.Stat(args[2])
		if err != nil {
			return nil, err
		}
		if fi.Mode().Perm() != 0o600 {
			return nil, errors.New("the import file is not private")
		}
		data, err := os.ReadFile(args[2])
		if err != nil {
			return nil, err
		}
		var root map[string]any
		if _, err := plist.Unmarshal(data, &root); err != nil {
			return nil, err
		}
		m.domain = root
		return nil, nil
	case args[0] == "delete" && len(args) == 2:
		m.domain = nil
		return nil, nil
	case args[0] == "delete" && len(args) == 3:
		delete(m.domain, args[2])
		return nil, nil
	}
	return nil, fmt.Errorf("unexpected command %s %q", name, args)
}

// TestConformanceDomain runs the suite on a defaults domain, over memDefaults.
func TestConformanceDomain(t *testing.T) {
	open := func(m *memDefaults) stores.Store { return NewDomain(domainName, m) }
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T, values map[string]stores.Value) stores.Store {
			return open(&memDefaults{domain: rootOf(t, values)})
		},
		Missing: func(t *testing.T) stores.Store { return open(&memDefaults{}) },
		Break: func(t *testing.T, s stores.Store) bool {
			s.(*Domain).run.(*memDefaults).refused = true
			return true
		},
		Values:  conformanceValues,
		Set:     stores.Value{Type: TypeInteger, Text: "32401"},
		Invalid: stores.Edit{Name: "Bad", Value: stores.Value{Type: "bogus", Text: "1"}},
	})
}
