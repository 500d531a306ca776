package doctor

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"time"

	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/plex/discover"
	"github.com/plexform/plexform/plex/redact"
	"github.com/plexform/plexform/plex/signin"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/service"
)

// Facts is what the checks look at, each found once, when a check first asks for it.
// Checks run one after another, so it needs no lock.
type Facts struct {
	opts Options

	settingsDone  bool
	settings      discover.Settings
	settingsErr   error
	settingsLooks []discover.Looked

	serviceDone  bool
	svc          discover.Service
	serviceErr   error
	serviceLooks []discover.Looked
	stateDone    bool
	state        string

	containerDone bool
	container     discover.ContainerFacts
	containerErr  error

	identityDone bool
	identity     signin.Identity
	identityErr  error

	valuesDone bool
	values     stores.State
	valuesErr  error
}

// NewFacts looks nowhere yet.
func NewFacts(opts Options) *Facts { return &Facts{opts: opts} }

func (f *Facts) discoverOptions() discover.Options {
	return discover.Options{Root: f.opts.Root, GOOS: f.opts.GOOS, Getenv: f.opts.Getenv}
}

// Settings is where Plex keeps its settings, or why they were not found.
func (f *Facts) Settings() (discover.Settings, error) {
	if !f.settingsDone {
		f.settingsDone = true
		f.settings, f.settingsLooks, f.settingsErr = discover.FindSettings(f.discoverOptions())
	}
	return f.settings, f.settingsErr
}

// Service is how Plex is run here, or why that was not found.
func (f *Facts) Service() (discover.Service, error) {
	if !f.serviceDone {
		f.serviceDone = true
		f.svc, f.serviceLooks, f.serviceErr = discover.FindService(f.discoverOptions())
	}
	return f.svc, f.serviceErr
}

// ServiceState asks the manager whether Plex runs, except under Root: the manager on
// this machine does not run the disk's Plex.
func (f *Facts) ServiceState(ctx context.Context) string {
	if f.stateDone {
		return f.state
	}
	f.stateDone = true
	s, err := f.Service()
	switch {
	case err != nil:
		f.state = ""
	case f.opts.Root != "":
		f.state = "not checked under -root"
	default:
		f.state = serviceState(ctx, s)
	}
	return f.state
}

func serviceState(ctx context.Context, s discover.Service) string {
	svc, err := service.New(s.Config)
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	running, err := svc.Running(ctx)
	switch {
	case errors.Is(err, service.ErrTransitioning):
		return "changing (" + err.Error() + ")"
	case err != nil:
		return "unknown (" + strings.ReplaceAll(err.Error(), "\n", " ") + ")"
	case running:
		return "running"
	}
	return "stopped"
}

// Identity is the server's /identity, through the claim package's client; asked = false
// when no URL was given.
func (f *Facts) Identity(ctx context.Context) (id signin.Identity, asked bool, err error) {
	if f.opts.URL == "" {
		return signin.Identity{}, false, nil
	}
	if !f.identityDone {
		f.identityDone = true
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		f.identity, f.identityErr = (&signin.Server{URL: f.opts.URL}).Identity(ctx)
	}
	return f.identity, true, f.identityErr
}

// Values reads the settings store; ok is false when the settings were not found.
func (f *Facts) Values(ctx context.Context) (state stores.State, ok bool, err error) {
	s, serr := f.Settings()
	if serr != nil {
		return stores.State{}, false, nil
	}
	if !f.valuesDone {
		f.valuesDone = true
		st, err := host.StoreAt(s.Kind, s.Target())
		if err != nil {
			f.valuesErr = err
		} else {
			f.values, f.valuesErr = st.Read(ctx)
		}
	}
	return f.values, true, f.valuesErr
}

// Secrets are the settings' values under a sensitive name (redact.Sensitive, which
// builds on plan.IsSensitiveName): what a log line must never show.
func (f *Facts) Secrets(ctx context.Context) []string {
	state, ok, err := f.Values(ctx)
	if !ok || err != nil {
		return nil
	}
	var out []string
	for name, v := range state.Values {
		if redact.Sensitive(name) && v.Text != "" {
			out = append(out, v.Text)
		}
	}
	return out
}

// PMSDir is the "Plex Media Server" directory (logs, databases), or "".
func (f *Facts) PMSDir() string {
	s, err := f.Settings()
	switch {
	case err != nil:
		return ""
	case s.Kind == "xml_attributes" && s.Path != "":
		return filepath.Dir(s.Path) // hotio has no AppSupport, but has this
	case s.AppSupport == "":
		return ""
	}
	return filepath.Join(s.AppSupport, discover.PMSDir)
}

func (f *Facts) settingsReport() SettingsReport {
	s, err := f.Settings()
	if err != nil {
		return SettingsReport{Error: err.Error(), Looked: f.settingsLooks}
	}
	return SettingsReport{Kind: s.Kind, Target: s.Target(), AppSupport: s.AppSupport, How: s.How, Looked: f.settingsLooks}
}

func (f *Facts) serviceReport(ctx context.Context) ServiceReport {
	s, err := f.Service()
	if err != nil {
		return ServiceReport{Error: err.Error(), Looked: f.serviceLooks}
	}
	return ServiceReport{Manager: s.Config.Manager, How: s.How, User: s.User, Group: s.Group,
		State: f.ServiceState(ctx), Looked: f.serviceLooks}
}
