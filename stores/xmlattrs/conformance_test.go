package xmlattrs

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/storetest"
)

// prefsXML renders values as PMS writes Preferences.xml: one self-closing root element.
func prefsXML(_ testing.TB, values map[string]stores.Value) []byte {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Preferences")
	for _, name := range slices.Sorted(maps.Keys(values)) {
		b.WriteString(" " + name + "=\"" + escapeAttr(values[name].Text, '"', 0x10FFFF) + "\"")
	}
	b.WriteString("/>\n")
	return []byte(b.String())
}

func TestConformance(t *testing.T) {
	h := storetest.FileHarness("Preferences.xml", prefsXML,
		func(path string) stores.Store { return New(path, "", RequireRoot("Preferences")) },
		func(secret string) []byte {
			return []byte(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<Preferences PlexOnlineToken="` + secret + `" FriendlyName="den"`)
		})
	h.Values = map[string]stores.Value{
		"MachineIdentifier": {Text: "4f6c1d2e-0000-4a5b-9c8d-abcdef012345"},
		"FriendlyName":      {Text: "den & <kitchen>"},
		"AcceptedEULA":      {Text: "1"},
		"Multiline":         {Text: "two\nlines\ttabbed"},
	}
	h.Invalid = stores.Edit{Name: "Bad", Value: stores.Value{Text: "a control character \x01"}}
	storetest.Run(t, h)
}
