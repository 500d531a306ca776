package plist

import (
	"testing"

	"howett.net/plist"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/storetest"
)

func TestConformance(t *testing.T) {
	for name, format := range map[string]int{"binary": plist.BinaryFormat, "XML": plist.XMLFormat} {
		t.Run(name, func(t *testing.T) {
			encode := func(t testing.TB, values map[string]stores.Value) []byte {
				root := make(map[string]any, len(values))
				for k, v := range values {
					x, err := parseValue(v)
					if err != nil {
						t.Fatalf("fixture value %s: %v", k, err)
					}
					root[k] = x
				}
				data, err := plist.MarshalIndent(root, format, "\t")
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
			h.Values = map[string]stores.Value{
				"FriendlyName":          {Text: "den & <kitchen>"},
				"ManualPortMappingPort": {Type: TypeInteger, Text: "32400"},
				"NegativeOffset":        {Type: TypeInteger, Text: "-42"},
				"TranscoderQuality":     {Type: TypeReal, Text: "2.5"},
				"AcceptedEULA":          {Type: TypeBool, Text: "true"},
				"LastUpdateCheck":       {Type: TypeDate, Text: "2024-03-09T17:45:12Z"},
				"Blob":                  {Type: TypeData, Text: "AAEC/w=="},
			}
			h.Set = stores.Value{Type: TypeInteger, Text: "32401"}
			h.Invalid = stores.Edit{Name: "Bad", Value: stores.Value{Type: "bogus", Text: "1"}}
			storetest.Run(t, h)
		})
	}
}
