package service

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/plexform/plexform/stores"
)

// Systemd is a unit run by systemd, driven with systemctl. systemctl stop and start
// wait for their job to finish, so Running is usually settled when they return.
type Systemd struct {
	Unit string
	run  Runner
}

// NewSystemd returns the systemd service for unit (for example "plexmediaserver").
func NewSystemd(unit string, r Runner) *Systemd { return &Systemd{Unit: unit, run: r} }

func init() {
	Register(Manager{Name: "systemd", Doc: "a systemd unit", Fields: []string{"unit"}, Needs: []string{"unit"},
		Open: func(cfg Config) (stores.Service, error) {
			if err := need(cfg, "a unit", cfg.Unit); err != nil {
				return nil, err
			}
			return NewSystemd(cfg.Unit, cfg.Runner), nil
		}})
}

func (s *Systemd) Describe() string { return "systemd unit " + s.Unit }

func (s *Systemd) Stop(ctx context.Context) error {
	return runVerb(ctx, s.run, s, "systemctl", "stop", s.Unit)
}

// Start clears the unit's failed state and start counter first (systemctl reset-failed),
// then starts it. Plex's own unit allows 3 starts in 60 s (StartLimitBurst=3,
// StartLimitInterval=60s): a restart shortly before the apply, the apply's own start, and
// the automatic restarts (Restart=on-failure) of a start that failed use them up, and
// systemd then refuses the rollback's start ("start of the service was attempted too
// often"), leaving Plex down. A start plexform asks for is deliberate, not a crash loop,
// so it does what that refusal tells a human to do. reset-failed fails only for a unit
// that is not loaded, which the start then reports in its own words.
func (s *Systemd) Start(ctx context.Context) error {
	_, _ = s.run.Run(ctx, []string{"systemctl", "reset-failed", s.Unit})
	return runVerb(ctx, s.run, s, "systemctl", "start", s.Unit)
}

// Running asks systemctl is-active, which prints the unit's ActiveState and exits 0
// only for the running states. "reloading" and "refreshing" count as running (the main
// process stays up); "activating", "deactivating" and "maintenance" are transitional:
// an auto-restart loop sits in "activating" and must not pass for up, and a unit
// that is "deactivating" may still be writing its settings. A unit that does not exist
// reads as "inactive", as systemctl reports it; Start then fails naming it.
func (s *Systemd) Running(ctx context.Context) (bool, error) {
	out, err := s.run.Run(ctx, []string{"systemctl", "is-active", s.Unit})
	state := strings.TrimSpace(firstLine(out))
	if _, exited := exitedWith(err); err != nil && (!exited || state == "") {
		return false, wrap(s, "read the state of", err)
	}
	switch state {
	case "active", "reloading", "refreshing":
		return true, nil
	case "inactive", "failed", "dead":
		return false, nil
	}
	if err == nil && state != "" {
		// A state newer than this code; systemctl itself calls it running.
		return true, nil
	}
	return false, &TransitionError{Service: s.Describe(), State: state}
}

// Properties reads the user, group and environment the unit runs PMS with, drop-ins
// included, so the caller can find the settings file and keep its owner.
// env holds "NAME=value" entries in the order systemd lists them.
func (s *Systemd) Properties(ctx context.Context) (user, group string, env []string, err error) {
	out, err := s.run.Run(ctx, []string{"systemctl", "show", "-p", "User", "-p", "Group", "-p", "Environment", s.Unit})
	if err != nil {
		return "", "", nil, wrap(s, "read the properties of", err)
	}
	user, group, env, err = parseShow(out)
	if err != nil {
		return "", "", nil, fmt.Errorf("read the properties of %s: %w", s.Describe(), err)
	}
	return user, group, env, nil
}

// parseShow reads the Key=Value lines of systemctl show.
func parseShow(out []byte) (user, group string, env []string, err error) {
	err = eachShowProperty(out, 1<<20, func(key, value string) error {
		switch key {
		case "User":
			user = value
		case "Group":
			group = value
		case "Environment":
			words, err := splitWords(value)
			if err != nil {
				return fmt.Errorf("%w: Environment: %v", stores.ErrMalformed, err)
			}
			env = append(env, words...)
		}
		return nil
	})
	if err != nil {
		return "", "", nil, err
	}
	return user, group, env, nil
}

// eachShowProperty calls f with each Key=Value line of systemctl show's output, lines
// up to maxLine bytes. A line is never quoted in an error: Environment= may hold a
// secret the unit passes to Plex (PLEX_CLAIM).
func eachShowProperty(out []byte, maxLine int, f func(key, value string) error) error {
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, maxLine)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return fmt.Errorf("%w: systemctl show printed a line that is not Key=Value", stores.ErrMalformed)
		}
		if err := f(key, value); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%w: %v", stores.ErrMalformed, err)
	}
	return nil
}

// splitWords splits a space-separated list the way systemd quotes it when it prints
// one: bare words, "double quotes" with backslash escapes, 'single quotes', and
// $'C-style quotes'. Backslash escapes (\n, \t, \x20, \\, \") are decoded outside
// single quotes, because older systemd printed spaces inside values as \x20.
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
			i++
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("unterminated ' quote in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+end])
			inWord = true
			i += end + 2
		case c == '"' || (c == '$' && i+1 < len(s) && s[i+1] == '\''):
			quote := byte('"')
			if c == '$' {
				quote = '\''
				i++
			}
			i++
			closed := false
			for i < len(s) {
				if s[i] == quote {
					closed = true
					i++
					break
				}
				if s[i] == '\\' {
					n, err := unescape(s[i:], &cur)
					if err != nil {
						return nil, err
					}
					i += n
					continue
				}
				cur.WriteByte(s[i])
				i++
			}
			if !closed {
				return nil, fmt.Errorf("unterminated %c quote in %q", quote, s)
			}
			inWord = true
		case c == '\\':
			n, err := unescape(s[i:], &cur)
			if err != nil {
				return nil, err
			}
			i += n
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
			i++
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// unescape decodes the backslash escape at the start of s into b and returns its length.
func unescape(s string, b *strings.Builder) (int, error) {
	if len(s) < 2 {
		return 0, fmt.Errorf("a lone backslash ends %q", s)
	}
	switch c := s[1]; c {
	case 'n':
		b.WriteByte('\n')
	case 't':
		b.WriteByte('\t')
	case 'r':
		b.WriteByte('\r')
	case 's':
		b.WriteByte(' ')
	case 'x':
		if len(s) < 4 || !isHex(s[2]) || !isHex(s[3]) {
			return 0, fmt.Errorf("bad \\x escape in %q", s)
		}
		b.WriteByte(hexVal(s[2])<<4 | hexVal(s[3]))
		return 4, nil
	default:
		b.WriteByte(c)
	}
	return 2, nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func hexVal(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// WaitNoJob waits, up to timeout, until the unit has no job queued or running. systemd
// runs a stop or start job to its end even when the systemctl that asked for it was
// killed (the job belongs to the manager, not to the client), so a run cut short while
// it waited for one leaves the job going; reading the state or starting the unit
// before it ends would be undone by it.
func (s *Systemd) WaitNoJob(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for delay := firstPoll; ; delay = min(2*delay, maxPoll) {
		out, err := s.run.Run(ctx, []string{"systemctl", "show", "-p", "Job", s.Unit})
		if err != nil {
			return wrap(s, "read the pending job of", err)
		}
		job, err := parseShowJob(out)
		if err != nil {
			return fmt.Errorf("read the pending job of %s: %w", s.Describe(), err)
		}
		if job == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s still has job %d pending after %s: %w", s.Describe(), job, timeout, ErrTimeout)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// parseShowJob reads `systemctl show -p Job UNIT`: "Job=ID" while a job is queued or
// running, and "Job=" or no line at all when there is none (systemd's
// src/systemctl/systemctl-show.c prints the job id of the (uo) Job property only when
// it is not 0). It returns 0 for no job.
func parseShowJob(out []byte) (uint32, error) {
	var job uint32
	err := eachShowProperty(out, 1<<16, func(key, value string) error {
		if key != "Job" || value == "" {
			return nil
		}
		id, err := strconv.ParseUint(value, 10, 32)
		if err != nil || id == 0 {
			return fmt.Errorf("%w: systemctl show printed a Job that is not a job id", stores.ErrMalformed)
		}
		job = uint32(id)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return job, nil
}
