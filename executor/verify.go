package executor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/plexform/plexform/host"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/redact"
	"github.com/plexform/plexform/plex/signin"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/fileutil"
)

// logMark is a log file's size when the apply began: lines after it are new.
type logMark struct {
	root   fileutil.Root
	path   string
	offset int64
	check  int // index into the plan's verify list
}

// markLogs notes each verify log's size before anything changes. A log that cannot be
// read now (missing, or not a regular file) is marked at 0: all of it is new, and
// checkLog says what is wrong with it.
func markLogs(ctx context.Context, root fileutil.Root, checks []host.Check) []logMark {
	var marks []logMark
	for i, c := range checks {
		if c.Log == nil {
			continue
		}
		size, _ := untilDone(ctx, func() (int64, error) { return root.LogSize(c.LogPath) })
		marks = append(marks, logMark{root: root, path: c.LogPath, offset: size, check: i})
	}
	return marks
}

// verify runs the plan's checks in order; the first failure ends it.
func (r *run) verify(ctx context.Context) error {
	for i, v := range r.steps.Checks {
		switch {
		case v.HTTP != nil:
			shown := signin.Redacted(v.HTTP.URL)
			if err := checkHTTP(ctx, v.HTTP.URL, v.HTTP.Status, v.HTTP.Contains, v.HTTP.Timeout); err != nil {
				return fmt.Errorf("verify %s: %w", shown, err)
			}
			r.obs.Event(Event{Type: EventVerified, Message: fmt.Sprintf("%s answered %d", shown, v.HTTP.Status)})
		case v.Log != nil:
			for _, m := range r.logMarks {
				if m.check != i {
					continue
				}
				secrets := append(sensitiveValues(r.steps.Changes), storeSecrets(ctx, r.steps.Stores)...)
				skipped, err := checkLog(ctx, m, v.Log.MustNotMatch, secrets)
				if err != nil {
					return fmt.Errorf("verify log %s: %w", m.path, err)
				}
				if skipped > 0 {
					r.obs.Event(Event{Type: EventWarning, Message: fmt.Sprintf("%s grew by more than %d MiB during the apply; only its last %d MiB were checked", m.path, fileutil.LogWindow>>20, fileutil.LogWindow>>20)})
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
			last = err.Error() // net/http's url.Error strips a password from the URL it names
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

// storeSecrets are the texts of the sensitive values the stores hold now: a re-link wrote
// a new token (with a claim token of another account, its user name and e-mail address
// too) that no diff read, and the server may log them. A store that cannot be read adds
// nothing; the diff's values are masked anyway, and LogLine masks what looks like a token.
func storeSecrets(ctx context.Context, steps []*host.StoreStep) []string {
	var out []string
	for _, st := range steps {
		snap, err := st.Store.Store.Read(ctx)
		if err != nil {
			continue
		}
		for name, v := range snap.Values {
			if v.Text != "" && st.Resource.IsSensitive(name) {
				out = append(out, v.Text)
			}
		}
	}
	return out
}

// checkLog fails on the first new line that matches a pattern, showing it masked
// (secrets, and anything shaped like a token, an e-mail address or a user name). It
// reads the log as fileutil.Root.ReadTail does: no FIFO, no symlink of another user's,
// no more than the last LogWindow bytes; skipped is how many new bytes before those
// went unread.
func checkLog(ctx context.Context, m logMark, patterns []*regexp.Regexp, secrets []string) (skipped int64, err error) {
	tail, err := untilDone(ctx, func() (fileutil.Tail, error) { return readTail(m.root, m.path, m.offset) })
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	for _, line := range tail.Lines {
		for _, re := range patterns {
			if re.MatchString(line) {
				shown := redact.LogLine(line, secrets...)
				if len(shown) > 300 {
					shown = shown[:300] + "…"
				}
				return tail.Skipped, fmt.Errorf("a new line matches %q: %s", re.String(), shown)
			}
		}
	}
	return tail.Skipped, nil
}

// readTail is how checkLog reads a log; a test swaps in a read that blocks.
var readTail = fileutil.Root.ReadTail

// untilDone returns fn's result, or ctx's cause as soon as ctx ends. A log is opened
// non-blocking, but a read can still wait in the kernel (a log on a network mount that
// stopped answering); SIGTERM, which cancels ctx (cmd/plexform/signals.go), must still
// end the run then, with a rollback, rather than wait with it. The read is left to
// finish, or to end with the process.
func untilDone[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	got := make(chan result, 1)
	go func() {
		v, err := fn()
		got <- result{v, err}
	}()
	select {
	case r := <-got:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, context.Cause(ctx)
	}
}
