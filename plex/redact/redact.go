// Package redact makes a copy of a settings file that is safe to post on a forum: Plex's
// Preferences.xml, a plist (binary, XML or OpenStep) or a .reg export, with tokens, e-mail
// addresses, user names, machine identifiers and certificate ids replaced by readable
// placeholders and every other byte kept where the format allows.
//
// It reuses the stores' own editors (xmlattrs, plist, regfile), so a redacted file is
// edited exactly as plexform would edit the real one, and parses back before it is returned.
package redact

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/plexform/plexform/internal/lazyre"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/xmlattrs"
)

// Format is the kind of file, as Detect tells it.
type Format string

// The formats redact knows.
const (
	XML   Format = "xml"   // Preferences.xml: attributes of the root element
	Plist Format = "plist" // binary, XML or OpenStep property list
	Reg   Format = "reg"   // regedit export, version 5 or REGEDIT4
)

// Result is a redacted copy and what was hidden in it.
type Result struct {
	Format Format
	Data   []byte
	// Names lists the names of the values redacted, in file order, each once. It never
	// holds a value.
	Names []string
	// Values counts the values redacted (a name may hold several, in nested plists).
	Values int
	// Elsewhere counts secrets and e-mail addresses replaced outside any value: comments,
	// child elements, key names.
	Elsewhere int
}

var (
	plistStart = lazyre.New(`^(?:\s|<\?[^>]*\?>|<!--(?s:.*?)-->|<!DOCTYPE[^>]*>)*<plist[\s>]`)
	regStart   = lazyre.New(`^\s*(?:Windows Registry Editor Version 5\.00|REGEDIT4)\s*(?:\n|$)`)
)

// Detect tells a file's format from its content, not its name: a forum user's file may be
// called anything.
func Detect(raw []byte) (Format, error) {
	if bytes.HasPrefix(raw, []byte("bplist")) {
		return Plist, nil
	}
	text, err := sniffCodec(raw).decode(raw)
	if err != nil {
		return "", err
	}
	if len(text) > 4096 {
		text = text[:4096]
	}
	text = strings.TrimLeft(strings.TrimPrefix(text, "\uFEFF"), " \t\r\n")
	switch {
	case regStart.MatchString(text):
		return Reg, nil
	case plistStart.MatchString(text):
		return Plist, nil
	case strings.HasPrefix(text, "<"):
		return XML, nil
	case strings.HasPrefix(text, "{") || strings.HasPrefix(text, "("):
		return Plist, nil // OpenStep
	}
	return "", fmt.Errorf("%w: neither a Preferences.xml, a plist nor a .reg file", stores.ErrMalformed)
}

// Redact returns a redacted copy of raw. It fails, returning nothing, when the file does
// not parse or when the copy would not parse back.
func Redact(raw []byte) (Result, error) {
	format, err := Detect(raw)
	if err != nil {
		return Result{}, err
	}
	s := newScrubber()
	var out []byte
	switch format {
	case XML:
		out, err = redactXML(raw, s)
	case Plist:
		out, err = redactPlist(raw, s)
	case Reg:
		out, err = redactReg(raw, s)
	}
	if err != nil {
		return Result{}, err
	}
	return Result{Format: format, Data: out, Names: s.names, Values: s.count, Elsewhere: s.elsewhere}, nil
}

func unchanged(string, string) (string, bool) { return "", false }

// errUnparsable is what a redaction that broke the file says; it never shows the file.
var errUnparsable = errors.New("the redacted copy does not parse back (a secret overlaps the file's markup?); nothing was written")

func redactXML(raw []byte, s *scrubber) ([]byte, error) {
	collect := func(name, value string) (string, bool) { s.collect(name, value); return "", false }
	if _, err := xmlattrs.Rewrite(raw, "", collect); err != nil {
		return nil, err
	}
	out, err := xmlattrs.Rewrite(raw, "", s.value)
	if err != nil {
		return nil, err
	}
	if out, err = scrubRest(out, s); err != nil {
		return nil, err
	}
	if _, err := xmlattrs.Rewrite(out, "", unchanged); err != nil {
		return nil, errUnparsable
	}
	return out, nil
}
