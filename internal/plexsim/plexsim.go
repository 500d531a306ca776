// Package plexsim is a stand-in for Plex Media Server that behaves like it where plexform
// cares: it reads Preferences.xml once at start and refuses a malformed one, serves
// /identity and /myplex/claim on loopback, writes PMS-style log lines, and on SIGTERM
// writes its in-memory settings back over Preferences.xml (so an edit made to the file
// while it runs is lost, exactly the trap plexform exists to avoid). On Windows
// (plexsim_windows.go) it keeps its settings as the values of PMS's registry key, as PMS
// does there, and also stops, saving them, when its hidden window gets WM_CLOSE, which is
// how `taskkill` without /f asks PMS to quit.
//
// Claim tokens: "claim-" followed by 20 characters of [A-Za-z0-9_-] are accepted; such a
// token whose 20 characters begin with "expired" (claim-expired0123456789abc) is answered
// 401 as an expired token; anything else is 400. A stored PlexOnlineToken beginning with
// "stale" stands for a token plex.tv no longer honours: the simulator logs a MyPlex 401
// error for it at start, as PMS does.
//
// GET /myplex/account answers the account of the server's current token (given as the
// X-Plex-Token header or query value, as PMS reads it) with its signInState, and 401
// for any other token. A claim is saved to Preferences.xml at once, as PMS does. With
// PlexTV set (a plex.tv stand-in, see internal/plextv) a claim token is exchanged there
// for the server's token, and signInState is "invalid" while plex.tv rejects that
// token (401, 498 expired, 422 invalid token), as PMS reports a revoked sign-in; "ok"
// otherwise, also while plex.tv cannot be asked (PMS keeps its last known state). Every
// request the simulator makes to plex.tv states the server's own identity
// (ProcessedMachineIdentifier, "Plex Media Server", its version, provides "server"), as
// PMS and Plex's Docker images do.
package plexsim

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/plexform/plexform/internal/lazyre"
	"github.com/plexform/plexform/stores/fileutil"
)

// Version is what /identity and the log report, shaped like a real PMS version.
const Version = "1.41.0.8992-8463ad060"

// DefaultListen is PMS's own port, on loopback only.
const DefaultListen = "127.0.0.1:32400"

// Options configures one simulated server.
type Options struct {
	// PrefsPath is Preferences.xml. It may be missing: PMS then starts with new settings.
	// On Windows it may be empty: the settings are then the values of RegistryKey, where
	// PMS keeps them there.
	PrefsPath string
	// RegistryKey (Windows only) is the key whose values are the settings when PrefsPath
	// is empty; empty means PMS's own, HKCU\Software\Plex, Inc.\Plex Media Server.
	RegistryKey string
	// Listen is a loopback host:port; port 0 picks a free one. Empty means DefaultListen.
	Listen string
	// AddrFile, when set, receives the address actually listened on once the server
	// accepts connections, and is removed again on a clean stop.
	AddrFile string
	// LogPath defaults to "<dir of PrefsPath>/Logs/Plex Media Server.log" (on Windows
	// with the settings in the registry, %LOCALAPPDATA%\Plex Media Server\Logs\...).
	LogPath string
	// RefuseIfAttr makes the server refuse to start when its settings have this
	// attribute (registry value), so tests can build "a server that will not start after
	// the change".
	RefuseIfAttr string
	// PlexTV is the base URL of a plex.tv stand-in; empty: the simulator makes tokens up.
	PlexTV string
}

// Settings names PMS uses for the sign-in.
const (
	attrToken    = "PlexOnlineToken"
	attrUsername = "PlexOnlineUsername"
	attrMail     = "PlexOnlineMail"
	attrMachine  = "MachineIdentifier"
	attrProcMach = "ProcessedMachineIdentifier"
)

// Server is a running simulator.
type Server struct {
	opts     Options
	log      *logger
	listener net.Listener
	http     *http.Server
	served   chan error
	stopOnce sync.Once
	stopErr  error

	mu       sync.Mutex
	settings settings
	store    settingsStore
}

// Start reads the settings, starts listening and returns at once. Stop ends it.
func Start(opts Options) (*Server, error) {
	store, logDir, err := openSettings(opts)
	if err != nil {
		return nil, err
	}
	if opts.Listen == "" {
		opts.Listen = DefaultListen
	}
	if opts.LogPath == "" {
		opts.LogPath = filepath.Join(logDir, "Logs", "Plex Media Server.log")
	}
	log, err := openLog(opts.LogPath)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, log: log, served: make(chan error, 1), store: store}
	if err := s.start(); err != nil {
		log.printf("ERROR", "Plex Media Server v%s - failed to start: %v", Version, err)
		log.close()
		return nil, err
	}
	return s, nil
}

func (s *Server) start() error {
	s.log.printf("INFO", "Plex Media Server v%s - plexsim simulator - build: linux-x86_64", Version)
	if err := s.loadSettings(); err != nil {
		return err
	}
	if name := s.opts.RefuseIfAttr; name != "" && s.settings.has(name) {
		return fmt.Errorf("refusing to start: %s has the %s %s", s.store, s.store.noun(), name)
	}
	if err := checkLoopback(s.opts.Listen); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.opts.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.opts.Listen, err)
	}
	s.listener = ln
	mux := http.NewServeMux()
	mux.HandleFunc("/identity", s.identity)
	mux.HandleFunc("/myplex/claim", s.claim)
	mux.HandleFunc("/myplex/account", s.account)
	s.http = &http.Server{Handler: s.logRequests(mux), ReadHeaderTimeout: 10 * time.Second}
	go func() { s.served <- s.http.Serve(ln) }()

	if s.opts.AddrFile != "" {
		if err := fileutil.WritePrivate(s.opts.AddrFile, []byte(s.Addr()+"\n")); err != nil {
			s.http.Close()
			return err
		}
	}
	s.log.printf("INFO", "Listening on %s", s.Addr())
	if token := s.settings.get(attrToken); strings.HasPrefix(token, "stale") {
		s.log.printf("ERROR", "MyPlex: Error 401 (Unauthorized) refreshing the account of %s; the stored token was rejected", s.settings.get(attrUsername))
	}
	return nil
}

func (s *Server) loadSettings() error {
	st, exists, err := s.store.load()
	if err != nil {
		return err
	}
	if !exists {
		// PMS starts with new identifiers when it finds no settings.
		st.set(attrMachine, randomString(40, "0123456789abcdef"))
		st.set(attrProcMach, randomString(40, "0123456789abcdef"))
		s.log.printf("INFO", "Preferences: %s does not exist; starting with new settings", s.store)
	}
	s.settings = st
	return nil
}

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("listen address %q is not on loopback; the simulator serves 127.0.0.1 or [::1] only", addr)
}

// Addr is the address the server listens on, with the real port when 0 was asked for.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// Stop does what PMS does on SIGTERM: stop serving, write the in-memory settings back
// over Preferences.xml (or the registry key), and log the shutdown. Calls after the first return its result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() { s.stopErr = s.stop() })
	return s.stopErr
}

func (s *Server) stop() error {
	s.log.printf("INFO", "Received signal to shut down; stopping the server")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	if err := s.http.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("stop serving: %w", err))
	}
	s.mu.Lock()
	err := s.store.save(s.settings)
	s.mu.Unlock()
	if err != nil {
		s.log.printf("ERROR", "Preferences: could not save: %v", err)
		errs = append(errs, err)
	}
	if s.opts.AddrFile != "" {
		if err := os.Remove(s.opts.AddrFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	s.log.printf("INFO", "Plex Media Server v%s - shut down", Version)
	s.log.close()
	return errors.Join(errs...)
}

// Run serves until ctx ends, then stops as on SIGTERM.
func Run(ctx context.Context, opts Options) error {
	s, err := Start(opts)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case err := <-s.served:
		// Serve only returns early on a listener failure; still save like PMS would.
		return errors.Join(fmt.Errorf("serve: %w", err), s.Stop())
	}
	return s.Stop()
}

// Main is the simulator's command line. It runs until SIGTERM or SIGINT (on Windows also
// until its hidden window gets WM_CLOSE, as taskkill without /f sends) and returns the
// process exit code: 0 after a clean stop, 1 when it refused to start or could not save,
// 2 on bad flags.
func Main(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("plexsim", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var o Options
	fl.StringVar(&o.PrefsPath, "prefs", "", prefsFlagUsage)
	fl.StringVar(&o.Listen, "listen", DefaultListen, "loopback address to serve on; port 0 picks a free port")
	fl.StringVar(&o.AddrFile, "addr-file", "", "file to write the listening address to once serving")
	fl.StringVar(&o.LogPath, "log", "", `log file (default "<dir of prefs>/Logs/Plex Media Server.log")`)
	fl.StringVar(&o.RefuseIfAttr, "refuse-if-attr", "", "refuse to start when the settings have this attribute")
	fl.StringVar(&o.PlexTV, "plextv", "", "base URL of a plex.tv stand-in that claims are exchanged at")
	platformFlags(fl, &o)
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if err := flagsFromEnv(fl); err != nil {
		fmt.Fprintf(stderr, "plexsim: %v\n", err)
		return 2
	}
	if o.PrefsPath == "" && prefsRequired || fl.NArg() > 0 {
		fmt.Fprintln(stderr, "plexsim: usage: "+usageLine)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	ctx, closeWindow, err := untilWindowClosed(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "plexsim: %v\n", err)
		return 1
	}
	defer closeWindow()
	if err := Run(ctx, o); err != nil {
		fmt.Fprintf(stderr, "plexsim: %v\n", err)
		return 1
	}
	return 0
}

var claimToken = lazyre.New(`^claim-[A-Za-z0-9_-]{20}$`)

func (s *Server) identity(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	s.mu.Lock()
	claimed := "0"
	if s.settings.get(attrToken) != "" {
		claimed = "1"
	}
	machine := s.settings.get(attrProcMach)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml;charset=utf-8")
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<MediaContainer size=\"0\" claimed=\"%s\" machineIdentifier=\"%s\" version=\"%s\">\n</MediaContainer>\n",
		claimed, attrEscaper.Replace(machine), Version)
}

func (s *Server) claim(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	token := r.URL.Query().Get("token")
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.settings.get(attrToken) != "":
		s.log.printf("WARN", "MyPlex: claim refused: the server is already claimed")
		http.Error(w, "server is already claimed", http.StatusBadRequest)
	case !claimToken.MatchString(token):
		s.log.printf("WARN", "MyPlex: claim refused: the claim token is not valid")
		http.Error(w, "invalid claim token", http.StatusBadRequest)
	case strings.HasPrefix(token, "claim-expired"):
		s.log.printf("ERROR", "MyPlex: Error 401 (Unauthorized) exchanging the claim token; it has expired")
		http.Error(w, "claim token expired", http.StatusUnauthorized)
	default:
		signIn, status := s.exchange(r.Context(), token)
		if status != http.StatusOK {
			s.log.printf("ERROR", "MyPlex: Error %d exchanging the claim token at plex.tv", status)
			http.Error(w, "claim token rejected by plex.tv", status)
			return
		}
		s.settings.set(attrToken, signIn.token)
		s.settings.set(attrUsername, signIn.username)
		s.settings.set(attrMail, signIn.email)
		// PMS saves a new sign-in at once, not only on shutdown.
		if err := s.store.save(s.settings); err != nil {
			s.log.printf("ERROR", "Preferences: could not save: %v", err)
		}
		s.log.printf("INFO", "MyPlex: claimed the server")
		w.Header().Set("Content-Type", "text/xml;charset=utf-8")
		fmt.Fprint(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<MediaContainer size=\"0\">\n</MediaContainer>\n")
	}
}

// account answers GET /myplex/account: the sign-in of the server, for its own token only.
func (s *Server) account(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	given := r.Header.Get("X-Plex-Token")
	if given == "" {
		given = r.URL.Query().Get("X-Plex-Token")
	}
	s.mu.Lock()
	token, user, machine := s.settings.get(attrToken), s.settings.get(attrUsername), s.settings.get(attrProcMach)
	s.mu.Unlock()
	if token == "" || given != token {
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	state := "ok"
	if s.rejectedByPlexTV(r.Context(), token, machine) {
		state = "invalid"
	}
	w.Header().Set("Content-Type", "text/xml;charset=utf-8")
	// PMS's answer carries the token and the user name: what a client must not print.
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<MyPlex authToken=\"%s\" username=\"%s\" mappingState=\"mapped\" mappingError=\"\" signInState=\"%s\" publicAddress=\"\" publicPort=\"0\" privateAddress=\"127.0.0.1\" privatePort=\"32400\" subscriptionActive=\"0\"/>\n",
		attrEscaper.Replace(token), attrEscaper.Replace(user), state)
}

// logRequests logs the path only: a query string may carry a claim token.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.printf("DEBUG", "Request: [%s] %s %s", r.RemoteAddr, r.Method, r.URL.Path)
		next.ServeHTTP(w, r)
	})
}

func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// logger writes lines shaped like PMS's own:
// "Nov 27, 2026 12:00:00.123 [140234] INFO - message".
type logger struct {
	mu  sync.Mutex
	f   *os.File
	pid int
}

func openLog(path string) (*logger, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create log dir: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	return &logger{f: f, pid: os.Getpid()}, nil
}

func (l *logger) printf(level, format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return
	}
	line := fmt.Sprintf("%s [%d] %s - %s\n", time.Now().Format("Jan 02, 2006 15:04:05.000"), l.pid, level, fmt.Sprintf(format, args...))
	_, _ = l.f.WriteString(line) // a log that cannot be written must not stop the server
}

func (l *logger) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f != nil {
		l.f.Close()
		l.f = nil
	}
}
