package executor

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/plexform/plexform/internal/host"
	"github.com/plexform/plexform/internal/redact"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/stores"
)

// logMark is a log file's size when the apply began: lines after it are new.
type logMark struct {
	path   string
	offset int64
	check  int // index into the plan's verify list
}

func markLogs(checks []host.Check) []logMark {
	var marks []logMark
	for i, c := range checks {
		if c.Log == nil {
			continue
		}
		var size int64
		if fi, err := os.Stat(c.LogPath); err == nil {
			size = fi.Size()
		}
		marks = append(marks, logMark{path: c.LogPath, offset: size, check: i})
	}
	return marks
}

// verify runs the plan's checks in order; the first failure ends it.
func (r *run) verify(ctx context.Context) error {
	for i, v := range r.steps.Checks {
		switch {
		case v.HTTP != nil:
			if err := checkHTTP(ctx, v.HTTP.URL, v.HTTP.Status, v.HTTP.Contains, v.HTTP.Timeout); err != nil {
				return fmt.Errorf("verify %s: %w", v.HTTP.URL, err)
			}
			r.obs.Event(Event{Type: EventVerified, Message: fmt.Sprintf("%s answered %d", v.HTTP.URL, v.HTTP.Status)})
		case v.Log != nil:
			for _, m := range r.logMarks {
				if m.check != i {
					continue
				}
				if err := checkLog(m, v.Log.MustNotMatch, sensitiveValues(r.steps.Changes)); err != nil {
					return fmt.Errorf("verify log %s: %w", m.path, err)
				}
				r.obs.Event(Event{Type: EventVerified, Message: fmt.Sprintf("no new line of %s matches the failure patterns", m.path)})
			}
		}
	}
	return nil
}

// checkHTTP polls url until it answers with status (and text) or timeout passes: a
// server that was just started needs a moment before it listens.
func checkHTTP(ctx context.Context, url string, status int, contains string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 5 * time.Second}
	last := "no answer"
	for delay := 20 * time.Millisecond; ; delay = min(2*delay, time.Second) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			switch {
			case resp.StatusCode != status:
				last = fmt.Sprintf("status %d, want %d", resp.StatusCode, status)
			case contains != "" && !strings.Contains(string(body), contains):
				last = fmt.Sprintf("the answer does not contain %q", contains)
			default:
				return nil
			}
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no good answer within %s (last: %s)", timeout, last)
		case <-time.After(delay):
		}
	}
}

// sensitiveValues are the texts of the sensitive values the diff read or wrote (the
// token, the e-mail address, the user name), which a log line shown in an error must
// not carry.
func sensitiveValues(ch *plan.Changes) []string {
	var out []string
	for _, rc := range ch.Resources {
		for _, v := range rc.Values {
			for _, val := range []*stores.Value{v.Before, v.After} {
				if v.Sensitive && val != nil {
					out = append(out, val.Text)
				}
			}
		}
	}
	return out
}

// checkLog fails on the first new line that matches a pattern, showing it masked
// (secrets, and anything shaped like a token, an e-mail address or a user name).
func checkLog(m logMark, patterns []*regexp.Regexp, secrets []string) error {
	f, err := os.Open(m.path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	offset := m.offset
	if fi.Size() < offset {
		offset = 0 // rotated since the apply began: all of it is new
	}
	data, err := io.ReadAll(io.NewSectionReader(f, offset, fi.Size()-offset))
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(data), "\n") {
		for _, re := range patterns {
			if re.MatchString(line) {
				shown := redact.LogLine(line, secrets...)
				if len(shown) > 300 {
					shown = shown[:300] + "…"
				}
				return fmt.Errorf("a new line matches %q: %s", re.String(), shown)
			}
		}
	}
	return nil
}
