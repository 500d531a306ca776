package plist

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/plexform/plexform/stores"
)

// Domain is a macOS defaults domain (com.plexapp.plexmediaserver) edited through the
// defaults command rather than its file: cfprefsd caches the domain and writes its copy
// back over a file edited behind its back, while defaults goes through cfprefsd.
//
// The type and its command lines build on every OS so they can be tested; only macOS
// can run them (see DomainSupported).
type Domain struct {
	domain string
	run    Runner
	euid   int
}

var _ stores.Store = (*Domain)(nil)

// NewDomain returns the store for a defaults domain, running defaults through run.
func NewDomain(domain string, run Runner) *Domain {
	return &Domain{domain: domain, run: run, euid: os.Geteuid()}
}

// Target names the domain.
func (d *Domain) Target() string { return "defaults domain " + d.domain }

// export runs `defaults export DOMAIN -`, which prints the domain as an XML plist. doc
// is nil when the domain does not exist.
func (d *Domain) export(ctx context.Context) (doc *document, err error) {
	out, err := d.run.Run(ctx, "defaults", "export", d.domain, "-")
	if err != nil {
		if strings.Contains(err.Error(), "does not exist") {
			return nil, nil
		}
		return nil, err
	}
	doc, err = decode(out)
	if err != nil {
		return nil, fmt.Errorf("defaults export printed something unexpected: %w", err)
	}
	return doc, nil
}

// Read returns the domain's keys; a domain with no keys reads as not existing, since
// defaults cannot tell an empty domain from a missing one.
func (d *Domain) Read(ctx context.Context) (stores.State, error) {
	doc, err := d.export(ctx)
	if err != nil {
		return stores.State{}, fmt.Errorf("read %s: %w", d.Target(), err)
	}
	if doc == nil || len(doc.root) == 0 {
		return stores.State{}, nil
	}
	return doc.state(), nil
}

// CheckWritable refuses to run as root: defaults would then edit root's own domain, not
// the one of the user who runs Plex.
func (d *Domain) CheckWritable(ctx context.Context) error {
	if d.euid == 0 {
		return fmt.Errorf("%s: plexform runs as root, so defaults would change root's preferences "+
			"(/var/root/Library/Preferences), not those of the user who runs Plex; run plexform as "+
			"that user, without sudo", d.Target())
	}
	return nil
}

// Write runs one defaults command per key that changes. defaults has no transaction, so
// when a command fails the domain is put back from an export taken first.
func (d *Domain) Write(ctx context.Context, edits []stores.Edit) error {
	doc, err := d.export(ctx)
	if err != nil {
		return fmt.Errorf("write %s: %w", d.Target(), err)
	}
	if doc == nil {
		doc = &document{root: map[string]any{}}
	}
	cmds, err := d.commands(doc.root, edits)
	if err != nil {
		return fmt.Errorf("write %s: %w", d.Target(), err)
	}
	for _, c := range cmds {
		if _, err := d.run.Run(ctx, "defaults", c.args...); err != nil {
			err = fmt.Errorf("write %s: %s %s: %w", d.Target(), c.verb, c.key, err)
			if rerr := d.putBack(ctx, doc); rerr != nil {
				return errors.Join(err, fmt.Errorf("roll back %s: %w", d.Target(), rerr))
			}
			return fmt.Errorf("%w (the domain was put back as it was)", err)
		}
	}
	return nil
}

type defaultsCommand struct {
	verb, key string
	args      []string
}

// commands lists the defaults command lines that turn have into the edited state.
func (d *Domain) commands(have map[string]any, edits []stores.Edit) ([]defaultsCommand, error) {
	var cmds []defaultsCommand
	for _, e := range edits {
		old, exists := have[e.Name]
		if e.Remove {
			if exists {
				cmds = append(cmds, defaultsCommand{"delete", e.Name, []string{"delete", d.domain, e.Name}})
			}
			continue
		}
		v, err := parseValue(e.Value)
		if err != nil {
			return nil, fmt.Errorf("set %s: %w", e.Name, err)
		}
		if exists && sameValue(old, v) {
			continue
		}
		typed, err := defaultsArgs(v)
		if err != nil {
			return nil, fmt.Errorf("set %s: %w", e.Name, err)
		}
		cmds = append(cmds, defaultsCommand{"set", e.Name, append([]string{"write", d.domain, e.Name}, typed...)})
	}
	return cmds, nil
}

// defaultsArgs spells a value as `defaults write` takes it: a type flag and its text.
func defaultsArgs(v any) ([]string, error) {
	switch x := v.(type) {
	case string:
		return []string{"-string", x}, nil
	case int64:
		return []string{"-integer", strconv.FormatInt(x, 10)}, nil
	case uint64:
		if x > math.MaxInt64 {
			return nil, errors.New("defaults write takes integers up to 9223372036854775807 only")
		}
		return []string{"-integer", strconv.FormatUint(x, 10)}, nil
	case float64:
		return []string{"-float", strconv.FormatFloat(x, 'g', -1, 64)}, nil
	case bool:
		return []string{"-bool", strconv.FormatBool(x)}, nil
	case time.Time:
		// The form NSDate's dateWithString: reads; defaults drops sub-second precision.
		return []string{"-date", x.UTC().Format("2006-01-02 15:04:05 +0000")}, nil
	case []byte:
		return []string{"-data", hex.EncodeToString(x)}, nil
	}
	return nil, fmt.Errorf("defaults write cannot write a %s value", valueOf(v).Type)
}

// putBack restores the domain as doc held it: an import of its export, or a delete of
// the whole domain when it did not exist.
func (d *Domain) putBack(ctx context.Context, doc *document) error {
	if doc.raw == nil {
		_, err := d.run.Run(ctx, "defaults", "delete", d.domain)
		return err
	}
	return d.importPlist(ctx, doc.raw)
}

// emptyDomain is what defaults export prints for a domain without keys.
const emptyDomain = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict/>
</plist>
`

// Snapshot is the domain's export, an XML plist that defaults import and plutil accept.
func (d *Domain) Snapshot(ctx context.Context) (stores.Snapshot, error) {
	out, err := d.run.Run(ctx, "defaults", "export", d.domain, "-")
	if err != nil && strings.Contains(err.Error(), "does not exist") {
		out, err = []byte(emptyDomain), nil // restoring it empties the domain again
	}
	if err != nil {
		return stores.Snapshot{}, fmt.Errorf("back up %s: %w", d.Target(), err)
	}
	if _, err := decode(out); err != nil {
		return stores.Snapshot{}, fmt.Errorf("back up %s: defaults export printed something unexpected: %w", d.Target(), err)
	}
	return stores.Snapshot{Ext: "plist", Data: out}, nil
}

// Restore imports a snapshot with `defaults import`, which replaces the domain's keys.
func (d *Domain) Restore(ctx context.Context, s stores.Snapshot) error {
	if _, err := decode(s.Data); err != nil {
		return fmt.Errorf("restore %s: the backup is not a property list: %w", d.Target(), err)
	}
	if err := d.importPlist(ctx, s.Data); err != nil {
		return fmt.Errorf("restore %s: %w", d.Target(), err)
	}
	return nil
}

// importPlist hands data to `defaults import DOMAIN FILE` through a 0600 temp file: it
// holds the token.
func (d *Domain) importPlist(ctx context.Context, data []byte) error {
	f, err := os.CreateTemp("", "plexform-*.plist")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	_, err = d.run.Run(ctx, "defaults", "import", d.domain, f.Name())
	return err
}
