//go:build windows

package registry

import (
	"encoding/hex"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/windows/registry"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/storetest"
)

// TestConformanceLive runs the suite on the live registry (Wine in CI). The fixture
// values are written through the registry API's typed setters, not the store's code.
func TestConformanceLive(t *testing.T) {
	h := conformanceHarness()
	keyFor := func(t *testing.T) string {
		sub := `Software\plexform-test\conformance\` + strings.NewReplacer("/", "-", `\`, "-").Replace(t.Name())
		t.Cleanup(func() { _ = registry.DeleteKey(registry.CURRENT_USER, sub) })
		return sub
	}
	open := func(t *testing.T, sub string) stores.Store {
		s, err := New(`HKCU\`+sub, "")
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	h.New = func(t *testing.T, values map[string]stores.Value) stores.Store {
		sub := keyFor(t)
		k, _, err := registry.CreateKey(registry.CURRENT_USER, sub, registry.ALL_ACCESS)
		if err != nil {
			t.Fatal(err)
		}
		defer k.Close()
		for name, v := range values {
			if err := setTyped(k, name, v); err != nil {
				t.Fatalf("fixture value %s: %v", name, err)
			}
		}
		return open(t, sub)
	}
	h.Missing = func(t *testing.T) stores.Store { return open(t, keyFor(t)) }
	storetest.Run(t, h)
}

func setTyped(k registry.Key, name string, v stores.Value) error {
	switch v.Type {
	case TypeSZ:
		return k.SetStringValue(name, v.Text)
	case TypeExpandSZ:
		return k.SetExpandStringValue(name, v.Text)
	case TypeDWord:
		n, err := strconv.ParseUint(v.Text, 10, 32)
		if err != nil {
			return err
		}
		return k.SetDWordValue(name, uint32(n))
	case TypeQWord:
		n, err := strconv.ParseUint(v.Text, 10, 64)
		if err != nil {
			return err
		}
		return k.SetQWordValue(name, n)
	case TypeMultiSZ:
		return k.SetStringsValue(name, strings.Split(v.Text, "\n"))
	case TypeBinary:
		b, err := hex.DecodeString(v.Text)
		if err != nil {
			return err
		}
		return k.SetBinaryValue(name, b)
	}
	return strconv.ErrSyntax
}
