package doctor

import (
	"io"

	"github.com/plexform/plexform/internal/jsonout"
)

// View is doctor's view, chosen once from -json as the views package's are
// (views.NewApply): the report for a person (WriteHuman) or as one JSON document. It
// lives here, beside the Report it shows, rather than in views: both packages stand on
// floor 3 of docs/architecture.md and neither imports the other.
type View interface {
	Report(rep Report) error
}

// NewView is doctor's view: JSON when asJSON, else the text for a person, which names
// root (-root) when it is not "".
func NewView(asJSON bool, w io.Writer, root string) View {
	if asJSON {
		return jsonView{w}
	}
	return humanView{w, root}
}

type humanView struct {
	w    io.Writer
	root string
}

func (v humanView) Report(rep Report) error {
	WriteHuman(v.w, rep, v.root)
	return nil
}

type jsonView struct{ w io.Writer }

// Report prints rep indented as every plexform -json document is.
func (v jsonView) Report(rep Report) error { return jsonout.Write(v.w, rep) }
