package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/plexform/plexform/internal/discover"
	"github.com/plexform/plexform/internal/host"
	"github.com/plexform/plexform/internal/lazyre"
	"github.com/plexform/plexform/internal/render"
	"github.com/plexform/plexform/stores"
	"github.com/plexform/plexform/stores/fileutil"
	"github.com/plexform/plexform/stores/service"
)

func init() {
	commands = append(commands, command{"doctor", "tell what stands between you and your server, without leaking a token", runDoctor})
}

// Check statuses.
const (
	statusOK         = "ok"
	statusProblem    = "problem"
	statusInfo       = "info"
	statusNotChecked = "not checked"
)

// check is one finding. Nothing in it ever holds a setting's value.
type check struct {
	Name    string   `json:"name"`
	Status  string   `json:"status"`
	Summary string   `json:"summary"`
	Details []string `json:"details,omitempty"`
	Fix     string   `json:"fix,omitempty"`
}

type doctorSettings struct {
	Kind       string            `json:"kind,omitempty"`
	Target     string            `json:"target,omitempty"`
	AppSupport string            `json:"app_support,omitempty"`
	How        string            `json:"how,omitempty"`
	Error      string            `json:"error,omitempty"`
	Looked     []discover.Looked `json:"looked"`
}

type doctorService struct {
	Manager string            `json:"manager,omitempty"`
	How     string            `json:"how,omitempty"`
	User    string            `json:"user,omitempty"`
	Group   string            `json:"group,omitempty"`
	State   string            `json:"state,omitempty"`
	Error   string            `json:"error,omitempty"`
	Looked  []discover.Looked `json:"looked"`
}

type doctorReport struct {
	Version  string         `json:"plexform_version"`
	Settings doctorSettings `json:"settings"`
	Service  doctorService  `json:"service"`
	Checks   []check        `json:"checks"`
	Problems int            `json:"problems"`
}

// doctor gathers what a helper on a Plex forum would ask for.
type doctor struct {
	root, url string
	online    bool
	goos      string
	getenv    func(string) (string, bool)

	report   doctorReport
	settings discover.Settings
	svc      *discover.Service
	claimed  string // "0", "1" or "" when /identity was not read
	secrets  []string
}

func runDoctor(env *cliEnv, args []string) int {
	fs := newFlags(env, "doctor", "[-json] [-root DIR] [-url URL] [-online]")
	asJSON := fs.Bool("json", false, "print one JSON document instead of the human view")
	rootFlag := fs.String("root", "", "look for Plex inside `DIR` (a mounted disk, a container volume)")
	url := fs.String("url", "", "the server to ask for /identity (default http://127.0.0.1:32400; not asked under -root unless given)")
	online := fs.Bool("online", false, "also try to reach plex.tv:443 (off by default: doctor contacts nothing outside this host)")
	if _, ok := parse(fs, args); !ok {
		return exitError
	}
	root, err := checkRoot(*rootFlag)
	if err != nil {
		return fail(env, err)
	}
	d := &doctor{root: root, url: *url, online: *online, goos: runtime.GOOS, getenv: env.getenv}
	if d.url == "" && root == "" {
		d.url = "http://127.0.0.1:32400"
	}
	d.run(context.Background())
	if *asJSON {
		if err := render.WriteJSON(env.stdout, d.report); err != nil {
			return fail(env, err)
		}
	} else {
		d.writeHuman(env.stdout)
	}
	if d.report.Problems > 0 {
		return exitError
	}
	return exitOK
}

func (d *doctor) run(ctx context.Context) {
	d.report.Version = version
	d.findSettings()
	d.findService(ctx)
	d.checkIdentity(ctx)
	d.checkValues(ctx)
	d.checkOwnership()
	d.checkLog()
	d.checkDatabase()
	d.checkCauses(ctx)
	for _, c := range d.report.Checks {
		if c.Status == statusProblem {
			d.report.Problems++
		}
	}
}

func (d *doctor) add(c check) { d.report.Checks = append(d.report.Checks, c) }

func (d *doctor) findSettings() {
	s, looked, err := discover.FindSettings(discover.Options{Root: d.root, GOOS: d.goos, Getenv: d.getenv})
	d.report.Settings = doctorSettings{Looked: looked}
	if err != nil {
		d.report.Settings.Error = err.Error()
		d.add(check{Name: "settings", Status: statusProblem, Summary: "Plex's settings were not found", Details: strings.Split(err.Error(), "\n")})
		return
	}
	d.settings = s
	d.report.Settings = doctorSettings{Kind: s.Kind, Target: s.Target(), AppSupport: s.AppSupport, How: s.How, Looked: looked}
	d.add(check{Name: "settings", Status: statusOK, Summary: s.Kind + " " + s.Target(), Details: []string{"found by: " + s.How}})
}

func (d *doctor) findService(ctx context.Context) {
	s, looked, err := discover.FindService(discover.Options{Root: d.root, GOOS: d.goos, Getenv: d.getenv})
	d.report.Service = doctorService{Looked: looked}
	if err != nil {
		d.report.Service.Error = err.Error()
		d.add(check{Name: "service", Status: statusInfo, Summary: "how Plex is run here was not found; state not checked",
			Details: []string{firstLine(err.Error())}})
		return
	}
	d.svc = &s
	d.report.Service = doctorService{Manager: s.Config.Manager, How: s.How, User: s.User, Group: s.Group, Looked: looked}
	c := check{Name: "service", Summary: s.Config.Manager, Details: []string{"found by: " + s.How}}
	if s.User != "" {
		c.Summary += ", runs as " + s.User
		if s.Group != "" {
			c.Summary += ":" + s.Group
		}
	}
	state := d.serviceState(ctx, s)
	d.report.Service.State = state
	switch state {
	case "running":
		c.Status = statusOK
		c.Summary += "; running"
	case "stopped":
		c.Status = statusProblem
		c.Summary += "; stopped"
		c.Fix = "start Plex Media Server; nobody can sign in to a server that is not running"
	default:
		c.Status = statusInfo
		c.Summary += "; state " + state
	}
	d.add(c)
	if s.Config.Manager == "docker" {
		d.checkContainer(s)
	}
}

// serviceState asks the manager, except under -root: the manager on this machine does
// not run the disk's Plex.
func (d *doctor) serviceState(ctx context.Context, s discover.Service) string {
	if d.root != "" {
		return "not checked under -root"
	}
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
		return "unknown (" + oneLine(err.Error()) + ")"
	case running:
		return "running"
	}
	return "stopped"
}

// identity is the part of /identity doctor reports; machineIdentifier is left out on
// purpose, as redact does.
type identity struct {
	Claimed string `xml:"claimed,attr"`
	Version string `xml:"version,attr"`
}

func (d *doctor) checkIdentity(ctx context.Context) {
	if d.url == "" {
		d.add(check{Name: "server", Status: statusNotChecked, Summary: "/identity not asked under -root; pass -url to ask a server"})
		return
	}
	u := strings.TrimSuffix(d.url, "/") + "/identity"
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	id, err := getIdentity(ctx, u)
	if err != nil {
		d.add(check{Name: "server", Status: statusProblem, Summary: "no answer from " + u, Details: []string{oneLine(err.Error())},
			Fix: "start Plex Media Server, or pass -url with the address it listens on"})
		return
	}
	d.claimed = id.Claimed
	c := check{Name: "server", Status: statusOK, Summary: fmt.Sprintf("%s answers: version %s, claimed=%q", u, id.Version, id.Claimed)}
	if id.Claimed == "0" {
		c.Details = []string{"unclaimed: sign in from a browser on this machine (http://127.0.0.1:32400/web) to claim it"}
	}
	d.add(c)
}

func getIdentity(ctx context.Context, url string) (identity, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return identity{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return identity{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return identity{}, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	var id identity
	if err := xml.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&id); err != nil {
		return identity{}, fmt.Errorf("GET %s: not an /identity answer: %w", url, err)
	}
	return id, nil
}

// signInValues are the settings that hold the sign-in.
var signInValues = []string{"PlexOnlineToken", "PlexOnlineMail", "PlexOnlineUsername", "PlexOnlineHome"}

func (d *doctor) checkValues(ctx context.Context) {
	if d.settings.Kind == "" {
		return
	}
	st, err := host.StoreAt(d.settings.Kind, d.settings.Target())
	if err != nil {
		d.add(check{Name: "sign-in values", Status: statusNotChecked, Summary: oneLine(err.Error())})
		return
	}
	state, err := st.Read(ctx)
	if err != nil {
		d.add(check{Name: "sign-in values", Status: statusProblem, Summary: "cannot read the settings", Details: []string{oneLine(err.Error())},
			Fix: "Plex will not start on a damaged settings file; restore it from a backup (plexform backups, plexform restore)"})
		return
	}
	if !state.Exists {
		d.add(check{Name: "sign-in values", Status: statusInfo, Summary: "no settings yet: Plex writes them at its first start"})
		return
	}
	var present, absent []string
	token, hasToken := "", false
	for _, want := range signInValues {
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
	for name, v := range state.Values {
		if strings.HasPrefix(strings.ToLower(name), "plexonline") || strings.HasSuffix(strings.ToLower(name), "token") {
			d.secrets = append(d.secrets, v.Text)
		}
	}
	c := check{Name: "sign-in values", Status: statusOK}
	if len(present) > 0 {
		c.Details = append(c.Details, "present: "+strings.Join(present, ", "))
	}
	if len(absent) > 0 {
		c.Details = append(c.Details, "absent: "+strings.Join(absent, ", "))
	}
	switch {
	case hasToken && token == "":
		c.Summary = "PlexOnlineToken is empty: not signed in"
		c.Details = append(c.Details, "some images (linuxserver) count an empty PlexOnlineToken as claimed; plexform apply with examples/plex-reset.yaml removes it")
	case hasToken:
		c.Summary = "signed in (PlexOnlineToken present)"
	default:
		c.Summary = "not signed in (no PlexOnlineToken)"
	}
	if d.claimed == "1" && !hasToken {
		c.Details = append(c.Details, "/identity says claimed but the settings hold no token: were they edited while Plex ran? Plex rewrites them on shutdown")
	}
	d.add(c)
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

// checkOwnership compares the settings file's owner and mode with the account Plex runs
// as: a root-owned Preferences.xml (after `sudo nano` or `sudo cp`) under a plex service
// is the classic breakage, as Plex can no longer save its sign-in.
func (d *doctor) checkOwnership() {
	if d.settings.Path == "" || runtime.GOOS == "windows" {
		return
	}
	meta, exists, err := fileutil.Stat(d.settings.Path)
	if err != nil || !exists {
		return
	}
	if d.svc == nil || d.svc.User == "" {
		d.add(check{Name: "ownership", Status: statusNotChecked, Summary: fmt.Sprintf("%s is owned by %s, mode %04o; the account Plex runs as is unknown here",
			filepath.Base(d.settings.Path), d.describeOwner(meta.UID, meta.GID), meta.Mode)})
		return
	}
	user, group := d.svc.User, d.svc.Group
	if group == "" {
		group = user
	}
	acct, known := discover.LookupUser(d.root, user)
	c := check{Name: "ownership", Summary: fmt.Sprintf("%s is owned by %s, mode %04o; Plex runs as %s", d.settings.Path, d.describeOwner(meta.UID, meta.GID), meta.Mode, user)}
	fix := "chown " + user + ":" + group + " " + shellQuote(d.settings.Path)
	switch {
	case !known && meta.UID == 0 && user != "root":
		c.Status, c.Fix = statusProblem, fix
		c.Details = []string{"owned by root, so " + user + " cannot save its settings (the sign-in is lost at every restart)"}
	case !known:
		c.Status = statusNotChecked
		c.Details = []string{"the account " + user + " is not in this host's account database, so its uid is unknown"}
	case !canReadWrite(acct, meta.UID, meta.GID, meta.Mode):
		c.Status, c.Fix = statusProblem, fix
		if meta.UID == acct.UID {
			c.Fix = "chmod u+rw " + shellQuote(d.settings.Path)
		}
		c.Details = []string{user + " cannot read and write it, so Plex cannot save its settings (the sign-in is lost at every restart)"}
	default:
		c.Status = statusOK
	}
	d.add(c)
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

func (d *doctor) describeOwner(uid, gid int) string {
	u, g := discover.UserName(d.root, uid), discover.GroupName(d.root, gid)
	if u == "" || g == "" {
		return fmt.Sprintf("%d:%d (no names for them in this tree)", uid, gid)
	}
	return fmt.Sprintf("%s:%s (%d:%d)", u, g, uid, gid)
}

// shellQuote quotes a path for a command line a user will paste into a shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// logLines is how much of the log's end is searched.
const logLines = 2000

var signInError = lazyre.New(`(?i)myplex.*(error|fail|warn|denied|401)|\b401\b|unauthori[sz]ed`)

func (d *doctor) pmsDir() string {
	if d.settings.Kind == "xml_attributes" && d.settings.Path != "" {
		return filepath.Dir(d.settings.Path) // hotio has no AppSupport, but has this
	}
	if d.settings.AppSupport == "" {
		return ""
	}
	return filepath.Join(d.settings.AppSupport, discover.PMSDir)
}

func (d *doctor) checkLog() {
	dir := d.pmsDir()
	if dir == "" {
		return
	}
	logFile := filepath.Join(dir, "Logs", "Plex Media Server.log")
	if d.settings.Kind == "plist_keys" && d.settings.AppSupport != "" {
		// macOS keeps logs under ~/Library/Logs, next to Application Support.
		logFile = filepath.Join(filepath.Dir(d.settings.AppSupport), "Logs", discover.PMSDir, "Plex Media Server.log")
	}
	lines, err := tailLines(logFile, logLines)
	if err != nil {
		d.add(check{Name: "log", Status: statusNotChecked, Summary: "no log at " + logFile})
		return
	}
	var hits []string
	for _, l := range lines {
		if signInError.MatchString(l) {
			hits = append(hits, l)
		}
	}
	if len(hits) == 0 {
		d.add(check{Name: "log", Status: statusOK, Summary: fmt.Sprintf("no sign-in errors in the last %d lines of %s", len(lines), logFile)})
		return
	}
	c := check{Name: "log", Status: statusProblem, Summary: fmt.Sprintf("%d sign-in error(s) in the last %d lines of %s; the latest:", len(hits), len(lines), logFile),
		Fix: "a 401 from plex.tv means the stored token is no longer honoured: reset the sign-in with plexform apply -f examples/plex-reset.yaml, then sign in again"}
	for _, l := range hits[max(0, len(hits)-5):] {
		c.Details = append(c.Details, d.mask(l))
	}
	d.add(c)
}

// tailLines returns the last n lines of a file, reading at most its last 4 MiB.
func tailLines(path string, n int) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	const window = 4 << 20
	off := max(0, fi.Size()-window)
	data, err := io.ReadAll(io.NewSectionReader(f, off, fi.Size()-off))
	if err != nil {
		return nil, err
	}
	if off > 0 {
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			data = data[i+1:]
		}
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		lines = nil
	}
	return lines[max(0, len(lines)-n):], nil
}

var (
	tokenParam = lazyre.New(`(?i)((?:x-plex-)?token["']?\s*[=:]\s*["']?)[^&\s"']+`)
	// An e-mail address, also URL-encoded as PMS logs it in query strings (%40 for @).
	emailLike = lazyre.New(`(?i)[A-Za-z0-9._%+-]+(@|%40)[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	tokenLike = lazyre.New(`\b[A-Za-z0-9_-]{20}\b|\b[0-9a-fA-F]{32,}\b`)
	// The value may not start with "(": a placeholder put there already stays whole.
	userParam = lazyre.New(`(?i)\b((?:username|user|account|e-?mail|server for|signed in as)(?:\s*[=:]\s*|\s+))("[^"]*"|'[^']*'|[^\s,;&(][^\s,;&]*)`)
)

// mask hides every sign-in value read from the settings, and anything shaped like a
// token, an e-mail address, a machine identifier or a user name, in a log line.
func (d *doctor) mask(line string) string {
	for _, s := range d.secrets {
		if len(s) >= 3 {
			line = strings.ReplaceAll(line, s, "(masked)")
		}
	}
	line = tokenParam.ReplaceAllString(line, "${1}(masked)")
	line = emailLike.ReplaceAllString(line, "(masked e-mail)")
	line = userParam.ReplaceAllString(line, "${1}(masked)")
	return tokenLike.ReplaceAllStringFunc(line, func(m string) string {
		if strings.ContainsAny(m, "0123456789") {
			return "(masked)"
		}
		return m
	})
}

// Plex's library database, relative to the "Plex Media Server" directory.
var libraryDB = filepath.Join("Plug-in Support", "Databases", "com.plexapp.plugins.library.db")

const walLimit = 1 << 30

func (d *doctor) checkDatabase() {
	dir := d.pmsDir()
	if dir == "" {
		return
	}
	db := filepath.Join(dir, libraryDB)
	fi, err := os.Stat(db)
	if err != nil {
		d.add(check{Name: "database", Status: statusInfo, Summary: "no library database at " + db})
		return
	}
	c := check{Name: "database", Status: statusOK, Summary: fmt.Sprintf("%s: %s", db, size(fi.Size()))}
	for _, ext := range []string{"-wal", "-shm"} {
		si, err := os.Stat(db + ext)
		if err != nil {
			c.Details = append(c.Details, ext+": none")
			continue
		}
		c.Details = append(c.Details, fmt.Sprintf("%s: %s", ext, size(si.Size())))
		if ext == "-wal" && (si.Size() > fi.Size() || si.Size() > walLimit) {
			c.Status = statusProblem
			c.Details = append(c.Details, "the -wal file is larger than the database (or over 1 GiB): a sign of an unclean shutdown")
			c.Fix = "stop Plex cleanly and let it start again, so it folds the -wal back in; " + integrityHint(db)
		}
	}
	d.add(c)
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
	cmd := "sqlite3 " + shellQuote(db) + " 'PRAGMA integrity_check'"
	if _, err := exec.LookPath("sqlite3"); err != nil {
		return "to check it, install sqlite3 and run, with Plex stopped: " + cmd
	}
	return "to check it, run with Plex stopped: " + cmd
}

// checkCauses goes through the known causes of "it still won't let me in", saying for
// each whether it can be checked here and what to do.
func (d *doctor) checkCauses(ctx context.Context) {
	d.add(check{Name: "cause: account", Status: statusNotChecked,
		Summary: "account-side problems (a wrong, disabled or unverified account, an expired Plex Pass, two-factor) cannot be seen from this host",
		Fix:     "sign in at https://app.plex.tv with the owner's account and check Settings > Authorized Devices for this server"})
	d.add(d.internetCause(ctx))
	db := ""
	if dir := d.pmsDir(); dir != "" {
		db = filepath.Join(dir, libraryDB)
	}
	dbc := check{Name: "cause: damaged database", Status: statusNotChecked,
		Summary: "no library database was found to look at"}
	if _, err := os.Stat(db); db != "" && err == nil {
		dbc.Summary = "doctor reads sizes only (see database above); it never opens the database"
		dbc.Fix = integrityHint(db)
	}
	d.add(dbc)
	owner := check{Name: "cause: server owned by another account", Status: statusNotChecked,
		Summary: "whether the claiming account is yours cannot be told from this host"}
	switch d.claimed {
	case "1":
		owner.Status = statusInfo
		owner.Summary = "the server is claimed; if you cannot get in with your account, it belongs to another one"
		owner.Fix = "reset its sign-in and claim it again: plexform apply -f examples/plex-reset.yaml, then sign in at http://127.0.0.1:32400/web from this machine"
	case "0":
		owner.Status = statusOK
		owner.Summary = "the server is unclaimed, so no other account owns it"
	}
	d.add(owner)
}

func (d *doctor) internetCause(ctx context.Context) check {
	c := check{Name: "cause: no internet", Status: statusNotChecked,
		Summary: "plex.tv was not contacted (doctor contacts nothing outside this host by default)",
		Fix:     "run plexform doctor -online to try a connection to plex.tv:443"}
	if !d.online {
		return c
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", "plex.tv:443")
	if err != nil {
		c.Status, c.Summary = statusProblem, "plex.tv:443 cannot be reached: "+oneLine(err.Error())
		c.Fix = "Plex needs plex.tv to sign in; check this host's DNS, firewall and proxy"
		return c
	}
	conn.Close()
	c.Status, c.Summary, c.Fix = statusOK, "plex.tv:443 can be reached", ""
	return c
}

func (d *doctor) writeHuman(w io.Writer) {
	fmt.Fprintf(w, "plexform %s doctor", version)
	if d.root != "" {
		fmt.Fprintf(w, " (under %s)", d.root)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)
	for _, c := range d.report.Checks {
		fmt.Fprintf(w, "%-13s %s: %s\n", "["+c.Status+"]", c.Name, c.Summary)
		for _, l := range c.Details {
			fmt.Fprintf(w, "%14s%s\n", "", l)
		}
		if c.Fix != "" {
			fmt.Fprintf(w, "%14sfix: %s\n", "", c.Fix)
		}
	}
	fmt.Fprintln(w)
	switch d.report.Problems {
	case 0:
		fmt.Fprintln(w, "No problems found.")
	case 1:
		fmt.Fprintln(w, "1 problem found.")
	default:
		fmt.Fprintf(w, "%d problems found.\n", d.report.Problems)
	}
	fmt.Fprintln(w, "Nothing above holds a token, e-mail or user name; it is safe to post. -json lists every place looked at.")
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
