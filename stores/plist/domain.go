package plist

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"howett.net/plist"

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

// Write changes the domain without ever putting a value on a command line, where any
// user could read it (ps, /proc/PID/cmdline): removals alone are `defaults delete DOMAIN
// KEY`, one per key present; anything that sets a value imports the whole edited domain
// with `defaults import DOMAIN FILE` from a 0600 temp file. defaults has no transaction
// across commands, so when one fails the domain is put back from the export taken first.
func (d *Domain) Write(ctx context.Context, edits []stores.Edit) error {
	doc, err := d.export(ctx)
	if err != nil {
		return fmt.Errorf("write %s: %w", d.Target(), err)
	}
	if doc == nil {
		doc = &document{format: plist.XMLFormat, root: map[string]any{}}
	}
	if stores.OnlyRemovals(edits) {
		return d.deleteKeys(ctx, doc, edits)
	}
	root, changed, err := doc.apply(edits)
	if err != nil {
		return fmt.Errorf("write %s: %w", d.Target(), err)
	}
	if !changed {
		return nil
	}
	out, err := doc.encode(root, edits)
	if err != nil {
		return fmt.Errorf("write %s: %w", d.Target(), err)
	}
	if err := d.importPlist(ctx, out); err != nil {
		return d.failed(ctx, doc, fmt.Errorf("write %s: import: %w", d.Target(), err))
	}
	return nil
}

// deleteKeys runs `defaults delete DOMAIN KEY` for each key to remove that is there.
func (d *Domain) deleteKeys(ctx context.Context, doc *document, edits []stores.Edit) error {
	for _, e := range edits {
		if _, exists := doc.root[e.Name]; !exists {
			continue
		}
		if _, err := d.run.Run(ctx, "defaults", "delete", d.domain, e.Name); err != nil {
			return d.failed(ctx, doc, fmt.Errorf("write %s: delete %s: %w", d.Target(), e.Name, err))
		}
	}
	return nil
}

// failed puts the domain back as doc held it and says so, or says that it could not.
func (d *Domain) failed(ctx context.Context, doc *document, err error) error {
	if rerr := d.putBack(ctx, doc); rerr != nil {
		return errors.Join(err, fmt.Errorf("roll back %s: %w", d.Target(), rerr))
	}
	return fmt.Errorf("%w (the domain was put back as it was)", err)
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

// CheckSnapshot parses the snapshot as `defaults import` will need it: a property list.
func (d *Domain) CheckSnapshot(s stores.Snapshot) error { return checkPlistSnapshot(s) }

// Restore imports a snapshot with `defaults import`, which replaces the domain's keys.
func (d *Domain) Restore(ctx context.Context, s stores.Snapshot) error {
	if err := d.CheckSnapshot(s); err != nil {
		return fmt.Errorf("restore %s: %w", d.Target(), err)
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
