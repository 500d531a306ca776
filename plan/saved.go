package plan

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/fileutil"
)

// SavedKind marks a JSON file as a saved plan, so `apply FILE` can tell it from a plan file.
const SavedKind = "plexform-saved-plan"

// Saved is what `plan -out` writes: the diff as the host was then, with no secret in it.
// Every value is kept as a salted digest (a plain hash of a short value such as an
// e-mail address could be guessed); only non-sensitive values also keep their text, so
// `show` can print them.
type Saved struct {
	Kind          string          `json:"kind"`
	FormatVersion string          `json:"format_version"`
	Version       string          `json:"plexform_version"`
	CreatedAt     time.Time       `json:"created_at"`
	PlanFile      string          `json:"plan_file"`
	PlanSHA256    string          `json:"plan_sha256"`
	Root          string          `json:"root,omitempty"`
	OS            string          `json:"os"`
	Salt          string          `json:"salt"`
	Resources     []SavedResource `json:"resources"`
	// Services and Claims are what apply will do besides the writes, for show.
	Services []*ServiceChange `json:"services,omitempty"`
	Claims   []*ClaimChange   `json:"claims,omitempty"`
	Signins  []*SigninChange  `json:"signins,omitempty"`
}

// SavedResource is one store's diff in a saved plan.
type SavedResource struct {
	Address string       `json:"address"`
	Kind    string       `json:"kind"`
	Target  string       `json:"target"`
	Exists  bool         `json:"exists"`
	Values  []SavedValue `json:"values"`
}

// SavedValue is one value's diff in a saved plan.
type SavedValue struct {
	Name      string     `json:"name"`
	StoreName string     `json:"store_name"`
	Action    Action     `json:"action"`
	Sensitive bool       `json:"sensitive,omitempty"`
	Before    *SavedText `json:"before"`
	After     *SavedText `json:"after"`
}

// SavedText is a value as a saved plan keeps it.
type SavedText struct {
	Digest string  `json:"digest"`
	Type   string  `json:"type,omitempty"`
	Text   *string `json:"text,omitempty"` // nil for sensitive values
}

// NewSaved records a diff for a later apply.
func NewSaved(p *Plan, planBytes []byte, root, goos, version string, ch *Changes) (*Saved, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("make saved plan salt: %w", err)
	}
	abs, err := filepath.Abs(p.File)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(planBytes)
	s := &Saved{Kind: SavedKind, FormatVersion: "1", Version: version, CreatedAt: time.Now().UTC(),
		PlanFile: abs, PlanSHA256: hex.EncodeToString(sum[:]), Root: root, OS: goos, Salt: hex.EncodeToString(salt),
		Services: ch.Services, Claims: ch.Claims, Signins: ch.Signins}
	for _, rc := range ch.Resources {
		sr := SavedResource{Address: rc.Address, Kind: rc.Kind, Target: rc.Target, Exists: rc.Exists}
		for _, v := range rc.Values {
			sr.Values = append(sr.Values, SavedValue{Name: v.Name, StoreName: v.StoreName, Action: v.Action,
				Sensitive: v.Sensitive, Before: s.text(v.Before, v.Sensitive), After: s.text(v.After, v.Sensitive)})
		}
		s.Resources = append(s.Resources, sr)
	}
	return s, nil
}

func (s *Saved) digest(v stores.Value) string {
	salt, _ := hex.DecodeString(s.Salt)
	mac := hmac.New(sha256.New, salt)
	mac.Write([]byte(v.Type))
	mac.Write([]byte{0})
	mac.Write([]byte(v.Text))
	return hex.EncodeToString(mac.Sum(nil))
}

func (s *Saved) text(v *stores.Value, sensitive bool) *SavedText {
	if v == nil {
		return nil
	}
	t := &SavedText{Digest: s.digest(*v), Type: v.Type}
	if !sensitive {
		text := v.Text
		t.Text = &text
	}
	return t
}

// Write stores the saved plan, readable by its owner only.
func (s *Saved) Write(path string) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return fileutil.WritePrivate(path, append(data, '\n'))
}

// LooksSaved reports whether data is a saved plan rather than a plan file.
func LooksSaved(data []byte) bool {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return false
	}
	var probe struct {
		Kind string `json:"kind"`
	}
	return json.Unmarshal(data, &probe) == nil && probe.Kind == SavedKind
}

// ParseSaved decodes a saved plan.
func ParseSaved(path string, data []byte) (*Saved, error) {
	if !LooksSaved(data) {
		return nil, fmt.Errorf("%s is not a saved plan (those are JSON files made by plexform plan -out FILE); to see what a plan file would do, run plexform plan -f %s", path, path)
	}
	var s Saved
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s is a damaged saved plan: %w", path, err)
	}
	if s.Kind != SavedKind {
		return nil, fmt.Errorf("%s is not a saved plan (no \"kind\": %q)", path, SavedKind)
	}
	if s.FormatVersion != "1" {
		return nil, fmt.Errorf("%s is a saved plan of format %q; this plexform reads format 1", path, s.FormatVersion)
	}
	if err := s.check(nullsInLists(data)); err != nil {
		return nil, fmt.Errorf("%s is a damaged saved plan: %w; make it again with plexform plan -out", path, err)
	}
	return &s, nil
}

// check refuses what plan -out never writes: a saved plan is a file anyone may hand
// to apply, so a null entry (in any list: nulls names them) or an unknown action must
// be an error, never a crash or a write nobody planned.
func (s *Saved) check(nulls []string) error {
	var errs *multierror.Error
	bad := func(format string, args ...any) { errs = multierror.Append(errs, fmt.Errorf(format, args...)) }
	isNull := map[string]bool{}
	for _, at := range nulls {
		bad("%s is null", at)
		isNull[at] = true
	}
	for i, sr := range s.Resources {
		if isNull[fmt.Sprintf("resources[%d]", i)] {
			continue // said already; its zero value would only add "has no address"
		}
		if sr.Address == "" || KindOf(sr.Kind) == nil || sr.Target == "" {
			bad("resources[%d] has no address, kind or target", i)
			continue
		}
		for j, v := range sr.Values {
			where := fmt.Sprintf("resources[%d].values[%d]", i, j)
			switch {
			case isNull[where]:
			case v.Name == "" || v.StoreName == "":
				bad("%s has no name", where)
			case v.Action == Remove && v.Before == nil, v.Action == Change && v.Before == nil:
				bad("%s is to %s a value but has no before", where, v.Action)
			case (v.Action == Add || v.Action == Change) && v.After == nil:
				bad("%s is to %s a value but has no after", where, v.Action)
			case v.Action != NoOp && v.Action != Add && v.Action != Change && v.Action != Remove:
				bad("%s has an unknown action %q", where, v.Action)
			}
		}
	}
	for i, sc := range s.Services {
		switch {
		case sc == nil: // named by nulls
		case sc.Address == "":
			bad("services[%d] has no address", i)
		case sc.Action != Restart && sc.Action != Start && sc.Action != Stop && sc.Action != Leave:
			bad("services[%d] has an unknown action %q", i, sc.Action)
		}
	}
	for i, cc := range s.Claims {
		switch {
		case cc == nil: // named by nulls
		case cc.Address == "":
			bad("claims[%d] has no address", i)
		}
	}
	for i, sg := range s.Signins {
		switch {
		case sg == nil: // named by nulls
		case sg.Address == "":
			bad("signins[%d] has no address", i)
		}
	}
	if errs != nil {
		errs.ErrorFormat = func(es []error) string {
			msgs := make([]string, len(es))
			for i, e := range es {
				msgs[i] = e.Error()
			}
			return strings.Join(msgs, "; ")
		}
		return errs
	}
	return nil
}

// Changes rebuilds the diff for display. Sensitive values come back with empty text:
// renderers never print them anyway.
func (s *Saved) Changes() *Changes {
	ch := &Changes{Services: s.Services, Claims: s.Claims, Signins: s.Signins}
	for _, sr := range s.Resources {
		rc := &ResourceChange{Address: sr.Address, Kind: sr.Kind, Target: sr.Target, Exists: sr.Exists}
		for _, v := range sr.Values {
			rc.Values = append(rc.Values, ValueChange{Name: v.Name, StoreName: v.StoreName, Action: v.Action,
				Sensitive: v.Sensitive, Before: v.Before.value(), After: v.After.value()})
		}
		ch.Resources = append(ch.Resources, rc)
	}
	return ch
}

func (t *SavedText) value() *stores.Value {
	if t == nil {
		return nil
	}
	v := &stores.Value{Type: t.Type}
	if t.Text != nil {
		v.Text = *t.Text
	}
	return v
}

// Stale compares the saved diff with one made now and lists every difference, naming
// values but never showing them. An empty list means the saved plan still holds.
func (s *Saved) Stale(now *Changes) []string {
	var reasons []string
	current := map[string]*ResourceChange{}
	for _, rc := range now.Resources {
		current[rc.Address] = rc
	}
	for _, sr := range s.Resources {
		rc, ok := current[sr.Address]
		if !ok {
			reasons = append(reasons, fmt.Sprintf("resource %s is no longer in the plan for this host", sr.Address))
			continue
		}
		delete(current, sr.Address)
		if rc.Target != sr.Target {
			reasons = append(reasons, fmt.Sprintf("%s now points at %s, not %s", sr.Address, rc.Target, sr.Target))
		}
		if len(rc.Values) != len(sr.Values) {
			reasons = append(reasons, fmt.Sprintf("%s: the values to change differ", sr.Address))
			continue
		}
		for i, sv := range sr.Values {
			v := rc.Values[i]
			switch {
			case v.StoreName != sv.StoreName || v.Action != sv.Action:
				reasons = append(reasons, fmt.Sprintf("%s.%s: the saved plan was to %s it, the host now needs %s", sr.Address, sv.StoreName, sv.Action, actionWords(v.Action)))
			case !s.sameValue(sv.Before, v.Before):
				reasons = append(reasons, fmt.Sprintf("%s.%s: its current value changed since the plan was saved", sr.Address, sv.StoreName))
			case !s.sameValue(sv.After, v.After):
				reasons = append(reasons, fmt.Sprintf("%s.%s: the value the plan sets changed since the plan was saved", sr.Address, sv.StoreName))
			}
		}
	}
	for addr := range current {
		reasons = append(reasons, fmt.Sprintf("resource %s is new since the plan was saved", addr))
	}
	return append(reasons, staleSignins(s.Signins, now.Signins)...)
}

func (s *Saved) sameValue(saved *SavedText, now *stores.Value) bool {
	if saved == nil || now == nil {
		return saved == nil && now == nil
	}
	return hmac.Equal([]byte(saved.Digest), []byte(s.digest(*now)))
}

// LoadPlanFor loads the plan file a saved plan was made from and checks it is unchanged.
func (s *Saved) LoadPlanFor() (*Plan, error) {
	data, err := ReadFile(s.PlanFile)
	if err != nil {
		return nil, fmt.Errorf("the saved plan was made from %s, which cannot be read now: %w", s.PlanFile, err)
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != s.PlanSHA256 {
		return nil, fmt.Errorf("the saved plan is stale: %s changed since the plan was saved; run `plexform plan -out` again", s.PlanFile)
	}
	return Decode(s.PlanFile, data)
}

func actionWords(a Action) string {
	if a == NoOp {
		return "no change"
	}
	return string(a)
}
