package kinds

import (
	"fmt"

	"github.com/beevik/etree"
	"gopkg.in/yaml.v3"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/discover"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/fileutil"
	"github.com/plexform/plexform/stores/xmlattrs"
)

// XMLAttributes is what an xml_attributes resource names: the attributes of one element
// of an XML file (Plex's Preferences.xml).
type XMLAttributes struct {
	Path    string // the file, as the plan names it
	Element string // etree path of the element; "" is the root element
}

func init() {
	spec := func(r *plan.Resource) *XMLAttributes { return r.Spec.(*XMLAttributes) }
	plan.Register(&plan.Kind{
		Name: plan.KindXMLAttributes, Doc: "attributes of one XML element (Preferences.xml)", Role: plan.RoleStore,
		Fields: append([]string{"path", "element"}, plan.StoreFields...), Required: []string{"path"},
		NewSpec: func() any { return &XMLAttributes{} },
		Own: map[string]*plan.Field{
			"path": hostPathField(pathDoc, func(r *plan.Resource) *string { return &spec(r).Path }),
			"element": {Doc: "etree path of the element whose attributes are meant, such as /Preferences; default: the root element", Type: plan.FieldString,
				Decode: func(d *plan.Decoder, r *plan.Resource, v *yaml.Node, what string) {
					s := spec(r)
					if s.Element = d.Str(v, what); s.Element != "" {
						if _, err := etree.CompilePath(s.Element); err != nil {
							d.Errorf(v, "%s %q is not an element path (%v); write it like /Preferences or /Root/Settings[2]", what, s.Element, err)
						}
					}
				}},
		},
		CheckText: xmlattrs.CheckText,
		Open:      openStore,
		At:        func(target string) (stores.Store, error) { return xmlattrs.New(target, ""), nil },
		BackupExt: "xml",
		Init:      initStore,
	})
	fromSettings[plan.KindXMLAttributes] = func(s discover.Settings) storeSpec { return &XMLAttributes{Path: s.Path} }
}

func (s *XMLAttributes) resolved(on plan.OnHost) (storeSpec, error) {
	path, err := on.Path(s.Path)
	if err != nil {
		return nil, fmt.Errorf("path: %w", err)
	}
	return &XMLAttributes{Path: path, Element: s.Element}, nil
}

func (s *XMLAttributes) open(on plan.OnHost) (stores.Store, error) {
	return xmlattrs.New(s.Path, s.Element, xmlattrs.In(fileutil.RootAt(on.Root))), nil
}

func (s *XMLAttributes) file() string { return s.Path }

func (s *XMLAttributes) initLines() []plan.InitLine {
	return []plan.InitLine{{Field: "path", Value: s.Path}}
}
