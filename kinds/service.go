package kinds

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/stores/fileutil"
	"github.com/plexform/plexform/stores/service"
)

// Service is what a service resource names: the service manager and what it needs to
// drive Plex (each manager, registered in stores/service, says which fields it reads
// and needs).
type Service struct {
	Manager   string
	Unit      string   // systemd unit, snap name, launchd label or Windows service name
	Dir       string   // the s6 service directory, as the plan names it
	App       string   // the macOS application name
	Container string   // the docker manager's container, by name or id
	Start     []string // exec's commands
	Stop      []string
	Status    []string
	// Own are the fields a manager reads that are its own (service.Config.Own).
	Own map[string]string
	// ownAt is where the plan gives each of Own, for the error when the manager it
	// names does not read that field.
	ownAt map[string]*yaml.Node
	// foundOn is the Docker engine discovery found the container on (FromService),
	// which init names in a comment.
	foundOn string
}

func init() {
	spec := func(r *plan.Resource) *Service { return r.Spec.(*Service) }
	argv := func(doc string, at func(*Service) *[]string) *plan.Field {
		return &plan.Field{Doc: doc, Type: plan.FieldArgv, Decode: func(d *plan.Decoder, r *plan.Resource, v *yaml.Node, what string) {
			*at(spec(r)) = d.Argv(v, what)
		}}
	}
	plan.Register(&plan.Kind{
		Name: plan.KindService, Doc: "a service that is stopped while the stores it guards change", Role: plan.RoleService,
		Fields: []string{"manager", "state", "timeout"}, Required: []string{"manager"}, Managers: serviceManagers,
		NewSpec: func() any { return &Service{} },
		Own: map[string]*plan.Field{
			"manager": {Doc: "the service manager", Type: plan.FieldEnum, Enum: func() []string { return plan.KindOf(plan.KindService).ManagerNames() },
				Decode: func(d *plan.Decoder, r *plan.Resource, v *yaml.Node, what string) {
					s := spec(r)
					if s.Manager = d.Str(v, what); s.Manager != "" {
						if k := plan.KindOf(r.Kind); k.Manager(s.Manager) == nil {
							d.Errorf(v, "unknown manager %q%s (known: %s)", s.Manager, plan.DidYouMean(s.Manager, k.ManagerNames()), strings.Join(k.ManagerNames(), ", "))
						}
					}
				}},
			"unit":      stringField("systemd unit, snap name, launchd label or Windows service name", func(r *plan.Resource) *string { return &spec(r).Unit }),
			"dir":       hostPathField("the s6 service directory", func(r *plan.Resource) *string { return &spec(r).Dir }),
			"app":       stringField("the macOS application name", func(r *plan.Resource) *string { return &spec(r).App }),
			"container": stringField("the docker manager's container, by name or id", func(r *plan.Resource) *string { return &spec(r).Container }),
			"start":     argv("command that starts the service", func(s *Service) *[]string { return &s.Start }),
			"stop":      argv("command that stops the service", func(s *Service) *[]string { return &s.Stop }),
			"status":    argv("command that exits 0 when the service runs", func(s *Service) *[]string { return &s.Status }),
		},
		ManagerField: func(name string) *plan.Field {
			readBy := service.OwnField(name)
			if len(readBy) == 0 {
				return nil
			}
			return &plan.Field{Doc: "read by the " + strings.Join(readBy, ", ") + " manager", Type: plan.FieldString,
				Decode: func(d *plan.Decoder, r *plan.Resource, v *yaml.Node, what string) {
					s := spec(r)
					if s.Own == nil {
						s.Own, s.ownAt = map[string]string{}, map[string]*yaml.Node{}
					}
					s.Own[name], s.ownAt[name] = d.Str(v, what), v
				}}
		},
		Finish: func(d *plan.Decoder, r *plan.Resource) {
			if m := plan.KindOf(r.Kind).Manager(spec(r).Manager); m != nil {
				for _, f := range r.Missing(m.Needs) {
					d.ErrorAt(r.Pos, "service %q with manager %s needs %s:", r.Name, m.Name, f)
				}
				// A manager's own field is another manager's typo or leftover: say so
				// rather than drop it.
				for _, f := range slices.Sorted(maps.Keys(spec(r).ownAt)) {
					if !slices.Contains(m.Fields, f) {
						d.Errorf(spec(r).ownAt[f], "service %q with manager %s: %s: is read only by the %s manager; remove it or change manager:",
							r.Name, m.Name, f, strings.Join(service.OwnField(f), ", "))
					}
				}
			}
		},
		OpenService: func(r *plan.Resource, on plan.OnHost) (plan.OpenedService, error) {
			s := spec(r)
			dir, err := on.Path(s.Dir)
			if err != nil {
				return plan.OpenedService{}, fmt.Errorf("dir: %w", err)
			}
			if on.Root != "" && dir != "" {
				// s6's tools follow symlinks on this machine: hand them the directory the
				// tree's own host would reach, resolved inside the root.
				if dir, err = fileutil.RootAt(on.Root).Resolve(dir); err != nil {
					return plan.OpenedService{}, fmt.Errorf("dir: %w", err)
				}
			}
			cfg := service.Config{Manager: s.Manager, Unit: s.Unit, Dir: dir,
				Start: s.Start, Stop: s.Stop, Status: s.Status, App: s.App, Container: s.Container, Own: maps.Clone(s.Own)}
			return newService(cfg, r, on, "")
		},
		Init: func(spec any) []plan.InitLine { return spec.(*Service).initLines() },
	})
}

// serviceManagers are the managers stores/service registers, as plan needs to know
// them. The kind asks each time it needs them, so a manager registered after this
// package's init (a test's, or one from a package imported later) is one too.
func serviceManagers() []*plan.Manager {
	registered := service.Registered()
	out := make([]*plan.Manager, len(registered))
	for i, m := range registered {
		out[i] = &plan.Manager{Name: m.Name, Doc: m.Doc, Fields: m.Fields, Needs: m.Needs, UnderRoot: plan.UnderRoot(m.UnderRoot)}
	}
	return out
}

// newService opens a service of either service kind with its config: the resource's
// timeout is also the grace period a container gets before its engine kills it, and
// the host's environment is the one the manager reads (DOCKER_HOST).
func newService(cfg service.Config, r *plan.Resource, on plan.OnHost, found string) (plan.OpenedService, error) {
	if cfg.Timeout = r.Timeout; cfg.Timeout <= 0 {
		cfg.Timeout = plan.DefaultServiceTimeout
	}
	cfg.Getenv = on.Getenv
	svc, err := service.New(cfg)
	if err != nil {
		return plan.OpenedService{}, err
	}
	return plan.OpenedService{Service: svc, Manager: cfg.Manager, Found: found}, nil
}

// FromService is the typed spec of the service discovery found, with the paths as
// given in c: what `plexform init` writes with the service kind's Init.
func FromService(c service.Config) *Service {
	return &Service{Manager: c.Manager, Unit: c.Unit, Dir: c.Dir, App: c.App, Container: c.Container,
		Start: c.Start, Stop: c.Stop, Status: c.Status, Own: maps.Clone(c.Own), foundOn: c.DockerHost}
}

// initLines are its manager and the fields that manager reads.
func (s *Service) initLines() []plan.InitLine {
	lines := []plan.InitLine{{Field: "manager", Value: s.Manager}}
	m := plan.KindOf(plan.KindService).Manager(s.Manager)
	if m == nil {
		return lines
	}
	for _, f := range m.Fields {
		line := plan.InitLine{Field: f}
		switch f {
		case "unit":
			line.Value = s.Unit
		case "dir":
			line.Value = s.Dir
		case "app":
			line.Value = s.App
		case "container":
			line.Value = s.Container
		case "start":
			line.Value = s.Start
		case "stop":
			line.Value = s.Stop
		case "status":
			line.Value, line.Comment = s.Status, "exit 0 = running"
		default:
			line.Value = s.Own[f]
		}
		if empty(line.Value) {
			continue
		}
		lines = append(lines, line)
		if f == "container" && s.foundOn != "" {
			lines = append(lines, plan.InitLine{Comment: "found on the engine at " + s.foundOn + ": run plexform with DOCKER_HOST set to it"})
		}
	}
	return lines
}

func empty(v any) bool {
	switch v := v.(type) {
	case string:
		return v == ""
	case []string:
		return len(v) == 0
	}
	return v == nil
}
