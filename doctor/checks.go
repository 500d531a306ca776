package doctor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/plexform/plexform/internal/lazyre"
	"github.com/plexform/plexform/internal/shellquote"
	"github.com/plexform/plexform/plan"
	"github.com/plexform/plexform/plex/discover"
	"github.com/plexform/plexform/plex/redact"
	"github.com/plexform/plexform/plex/signin"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/fileutil"
)

// resetAdvice is how doctor tells a user to reset the sign-in: with a plan for this
// host, which `plexform init` writes.
const resetAdvice = "reset the sign-in: `plexform init` writes a plan for this host, then `plexform apply`"

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

type settingsCheck struct{}

func (settingsCheck) Name() string { return "settings" }

func (settingsCheck) Run(_ context.Context, f *Facts) Result {
	s, err := f.Settings()
	if err != nil {
		return Result{Status: StatusProblem, Summary: "Plex's settings were not found", Details: strings.Split(err.Error(), "\n")}
	}
	return Result{Status: StatusOK, Summary: s.Kind + " " + s.Target(), Details: []string{"found by: " + s.How}}
}

type serviceCheck struct{}

func (serviceCheck) Name() string { return "service" }

func (serviceCheck) Run(ctx context.Context, f *Facts) Result {
	s, err := f.Service()
	if err != nil {
		first, _, _ := strings.Cut(err.Error(), "\n")
		return Result{Status: StatusInfo, Summary: "how Plex is run here was not found; state not checked", Details: []string{first}}
	}
	r := Result{Summary: s.Config.Manager, Details: []string{"found by: " + s.How}}
	if s.User != "" {
		r.Summary += ", runs as " + s.User
		if s.Group != "" {
			r.Summary += ":" + s.Group
		}
	}
	switch state := f.ServiceState(ctx); state {
	case "running":
		r.Status, r.Summary = StatusOK, r.Summary+"; running"
	case "stopped":
		r.Status, r.Summary = StatusProblem, r.Summary+"; stopped"
		r.Fix = "start Plex Media Server; nobody can sign in to a server that is not running"
	default:
		r.Status, r.Summary = StatusInfo, r.Summary+"; state "+state
	}
	return r
}

type serverCheck struct{}

func (serverCheck) Name() string { return "server" }

func (serverCheck) Run(ctx context.Context, f *Facts) Result {
	id, asked, err := f.Identity(ctx)
	if !asked {
		return Result{Status: StatusNotChecked, Summary: "/identity not asked under -root; pass -url to ask a server"}
	}
	u := signin.Redacted(strings.TrimSuffix(f.opts.URL, "/") + "/identity")
	if err != nil {
		return Result{Status: StatusProblem, Summary: "no answer from " + u, Details: []string{oneLine(err.Error())},
			Fix: "start Plex Media Server, or pass -url with the address it listens on"}
	}
	r := Result{Status: StatusOK, Summary: fmt.Sprintf("%s answers: version %s, claimed=%q", u, id.Version, claimedAttr(id))}
	if !id.Claimed {
		r.Details = []string{"unclaimed: sign in from a browser on this machine (" + signin.DefaultURL + "/web) to claim it"}
	}
	return r
}

func claimedAttr(id signin.Identity) string {
	if id.Claimed {
		return "1"
	}
	return "0"
}

type valuesCheck struct{}

func (valuesCheck) Name() string { return "sign-in values" }

func (valuesCheck) Run(ctx context.Context, f *Facts) Result {
	state, ok, err := f.Values(ctx)
	switch {
	case !ok:
		return Result{Status: StatusOmitted}
	case err != nil:
		return Result{Status: StatusProblem, Summary: "cannot read the settings", Details: []string{oneLine(err.Error())},
			Fix: "Plex will not start on a damaged settings file; restore it from a backup (plexform backups, plexform restore)"}
	case !state.Exists:
		return Result{Status: StatusInfo, Summary: "no settings yet: Plex writes them at its first start"}
	}
	var present, absent []string
	token, hasToken := "", false
	for _, want := range plan.SignInValues {
		name, v, ok := lookupFold(state.Values, want)
		if !ok {
			absent = append(absent, want)
			continue
		}
		present = append(present, name+"=(masked)")
		if want == "PlexOnlineToken" {
			token, hasToken = v.Text, true
		}
	}
	r := Result{Status: StatusOK}
	if len(present) > 0 {
		r.Details = append(r.Details, "present: "+strings.Join(present, ", "))
	}
	if len(absent) > 0 {
		r.Details = append(r.Details, "absent: "+strings.Join(absent, ", "))
	}
	switch {
	case hasToken && token == "":
		r.Summary = "PlexOnlineToken is empty: not signed in"
		r.Details = append(r.Details, "some images (linuxserver) count an empty PlexOnlineToken as claimed; "+resetAdvice+" removes it")
	case hasToken:
		r.Summary = "signed in (PlexOnlineToken present)"
	default:
		r.Summary = "not signed in (no PlexOnlineToken)"
	}
	if id, asked, err := f.Identity(ctx); asked && err == nil && id.Claimed && !hasToken {
		r.Details = append(r.Details, "/identity says claimed but the settings hold no token: were they edited while Plex ran? Plex rewrites them on shutdown")
	}
	return r
}

// lookupFold finds a value whatever its name's case: PMS versions disagree on it.
func lookupFold(values map[string]stores.Value, want string) (string, stores.Value, bool) {
	for name, v := range values {
		if strings.EqualFold(name, want) {
			return name, v, true
		}
	}
	return "", stores.Value{}, false
}

// ownershipCheck compares the settings file's owner and mode with the account Plex runs
// as: a root-owned Preferences.xml (after `sudo nano` or `sudo cp`) under a plex service
// is the classic breakage, as Plex can no longer save its sign-in.
type ownershipCheck struct{}

func (ownershipCheck) Name() string { return "ownership" }

func (ownershipCheck) Run(_ context.Context, f *Facts) Result {
	s, err := f.Settings()
	if err != nil || s.Path == "" || f.opts.GOOS == "windows" {
		return Result{Status: StatusOmitted}
	}
	meta, exists, err := fileutil.Stat(s.Path)
	if err != nil || !exists {
		return Result{Status: StatusOmitted}
	}
	svc, err := f.Service()
	if err != nil || svc.User == "" {
		return Result{Status: StatusNotChecked, Summary: fmt.Sprintf("%s is owned by %s, mode %04o; the account Plex runs as is unknown here",
			filepath.Base(s.Path), describeOwner(f.opts.Root, meta.UID, meta.GID), meta.Mode)}
	}
	user, group := svc.User, svc.Group
	if group == "" {
		group = user
	}
	acct, known := discover.LookupUser(f.opts.Root, user)
	r := Result{Summary: fmt.Sprintf("%s is owned by %s, mode %04o; Plex runs as %s", s.Path, describeOwner(f.opts.Root, meta.UID, meta.GID), meta.Mode, user)}
	fix := "chown " + user + ":" + group + " " + shellquote.Quote(s.Path)
	switch {
	case !known && meta.UID == 0 && user != "root":
		r.Status, r.Fix = StatusProblem, fix
		r.Details = []string{"owned by root, so " + user + " cannot save its settings (the sign-in is lost at every restart)"}
	case !known:
		r.Status = StatusNotChecked
		r.Details = []string{"the account " + user + " is not in this host's account database, so its uid is unknown"}
	case !canReadWrite(acct, meta.UID, meta.GID, meta.Mode):
		r.Status, r.Fix = StatusProblem, fix
		if meta.UID == acct.UID {
			r.Fix = "chmod u+rw " + shellquote.Quote(s.Path)
		}
		r.Details = []string{user + " cannot read and write it, so Plex cannot save its settings (the sign-in is lost at every restart)"}
	default:
		r.Status = StatusOK
	}
	return r
}

func canReadWrite(a discover.Account, uid, gid int, mode uint32) bool {
	switch {
	case a.UID == 0:
		return true
	case a.UID == uid:
		return mode&0o600 == 0o600
	case a.GID == gid:
		return mode&0o060 == 0o060
	}
	return mode&0o006 == 0o006
}

func describeOwner(root string, uid, gid int) string {
	u, g := discover.UserName(root, uid), discover.GroupName(root, gid)
	if u == "" || g == "" {
		return fmt.Sprintf("%d:%d (no names for them in this tree)", uid, gid)
	}
	return fmt.Sprintf("%s:%s (%d:%d)", u, g, uid, gid)
}

// logLines is how much of the log's end is searched.
const logLines = 2000

var signInError = lazyre.New(`(?i)myplex.*(error|fail|warn|denied|401)|\b401\b|unauthori[sz]ed`)

type logCheck struct{}

func (logCheck) Name() string { return "log" }

func (logCheck) Run(ctx context.Context, f *Facts) Result {
	dir := f.PMSDir()
	if dir == "" {
		return Result{Status: StatusOmitted}
	}
	logFile := filepath.Join(dir, "Logs", "Plex Media Server.log")
	if s, _ := f.Settings(); s.Kind == plan.KindPlistKeys && s.AppSupport != "" {
		// macOS keeps logs under ~/Library/Logs, next to Application Support.
		logFile = filepath.Join(filepath.Dir(s.AppSupport), "Logs", discover.PMSDir, "Plex Media Server.log")
	}
	lines, err := tailLines(fileutil.RootAt(f.opts.Root), logFile, logLines)
	if errors.Is(err, fs.ErrNotExist) {
		return Result{Status: StatusNotChecked, Summary: "no log at " + logFile}
	}
	if err != nil {
		return Result{Status: StatusNotChecked, Summary: "cannot read the log: " + err.Error()}
	}
	var hits []string
	for _, l := range lines {
		if signInError.MatchString(l) {
			hits = append(hits, l)
		}
	}
	if len(hits) == 0 {
		return Result{Status: StatusOK, Summary: fmt.Sprintf("no sign-in errors in the last %d lines of %s", len(lines), logFile)}
	}
	r := Result{Status: StatusProblem, Summary: fmt.Sprintf("%d sign-in error(s) in the last %d lines of %s; the latest:", len(hits), len(lines), logFile),
		Fix: "a 401 from plex.tv means the stored token is no longer honoured: " + resetAdvice + ", then sign in again"}
	secrets := f.Secrets(ctx)
	for _, l := range hits[max(0, len(hits)-5):] {
		r.Details = append(r.Details, redact.LogLine(l, secrets...))
	}
	return r
}

// Plex's library database, relative to the "Plex Media Server" directory.
var libraryDB = filepath.Join("Plug-in Support", "Databases", "com.plexapp.plugins.library.db")

const walLimit = 1 << 30

type databaseCheck struct{}

func (databaseCheck) Name() string { return "database" }

func (databaseCheck) Run(_ context.Context, f *Facts) Result {
	dir := f.PMSDir()
	if dir == "" {
		return Result{Status: StatusOmitted}
	}
	db := filepath.Join(dir, libraryDB)
	fi, err := os.Stat(db)
	if err != nil {
		return Result{Status: StatusInfo, Summary: "no library database at " + db}
	}
	r := Result{Status: StatusOK, Summary: fmt.Sprintf("%s: %s", db, size(fi.Size()))}
	for _, ext := range []string{"-wal", "-shm"} {
		si, err := os.Stat(db + ext)
		if err != nil {
			r.Details = append(r.Details, ext+": none")
			continue
		}
		r.Details = append(r.Details, fmt.Sprintf("%s: %s", ext, size(si.Size())))
		if ext == "-wal" && (si.Size() > fi.Size() || si.Size() > walLimit) {
			r.Status = StatusProblem
			r.Details = append(r.Details, "the -wal file is larger than the database (or over 1 GiB): a sign of an unclean shutdown")
			r.Fix = "stop Plex cleanly and let it start again, so it folds the -wal back in; " + integrityHint(db)
		}
	}
	return r
}

func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func integrityHint(db string) string {
	cmd := "sqlite3 " + shellquote.Quote(db) + " 'PRAGMA integrity_check'"
	if _, err := exec.LookPath("sqlite3"); err != nil {
		return "to check it, install sqlite3 and run, with Plex stopped: " + cmd
	}
	return "to check it, run with Plex stopped: " + cmd
}

// The known causes of "it still won't let me in", each saying whether it can be
// checked here and what to do.

type accountCause struct{}

func (accountCause) Name() string { return "cause: account" }

func (accountCause) Run(context.Context, *Facts) Result {
	return Result{Status: StatusNotChecked,
		Summary: "account-side problems (a wrong, disabled or unverified account, an expired Plex Pass, two-factor) cannot be seen from this host",
		Fix:     "sign in at https://app.plex.tv with the owner's account and check Settings > Authorized Devices for this server"}
}

type internetCause struct{}

func (internetCause) Name() string { return "cause: no internet" }

func (internetCause) Run(ctx context.Context, f *Facts) Result {
	r := Result{Status: StatusNotChecked,
		Summary: "plex.tv was not contacted (doctor contacts nothing outside this host by default)",
		Fix:     "run plexform doctor -online to try a connection to plex.tv:443"}
	if !f.opts.Online {
		return r
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", "plex.tv:443")
	if err != nil {
		r.Status, r.Summary = StatusProblem, "plex.tv:443 cannot be reached: "+oneLine(err.Error())
		r.Fix = "Plex needs plex.tv to sign in; check this host's DNS, firewall and proxy"
		return r
	}
	conn.Close()
	return Result{Status: StatusOK, Summary: "plex.tv:443 can be reached"}
}

type databaseCause struct{}

func (databaseCause) Name() string { return "cause: damaged database" }

func (databaseCause) Run(_ context.Context, f *Facts) Result {
	r := Result{Status: StatusNotChecked, Summary: "no library database was found to look at"}
	if dir := f.PMSDir(); dir != "" {
		db := filepath.Join(dir, libraryDB)
		if _, err := os.Stat(db); err == nil {
			r.Summary = "doctor reads sizes only (see database above); it never opens the database"
			r.Fix = integrityHint(db)
		}
	}
	return r
}

type ownerCause struct{}

func (ownerCause) Name() string { return "cause: server owned by another account" }

func (ownerCause) Run(ctx context.Context, f *Facts) Result {
	id, asked, err := f.Identity(ctx)
	switch {
	case !asked || err != nil:
		return Result{Status: StatusNotChecked, Summary: "whether the claiming account is yours cannot be told from this host"}
	case id.Claimed:
		return Result{Status: StatusInfo, Summary: "the server is claimed; if you cannot get in with your account, it belongs to another one",
			Fix: resetAdvice + " to claim it again, then sign in at " + signin.DefaultURL + "/web from this machine"}
	}
	return Result{Status: StatusOK, Summary: "the server is unclaimed, so no other account owns it"}
}
