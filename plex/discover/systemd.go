package discover

import (
	"bufio"
	"bytes"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/plexform/plexform/stores/fileutil"
)

// unitName is the systemd unit Plex's Debian, RPM and Arch packages install.
const unitName = "plexmediaserver.service"

// unitDirs are systemd's unit search paths, highest priority first: a unit file in /etc
// hides the package's copy in /lib of the same name.
var unitDirs = []string{"/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"}

// directive is one Key=Value line of a unit file's [Service] section.
type directive struct {
	Key, Value string
	Line       int
}

// parseUnit reads the [Service] section of a unit file or drop-in. It follows systemd's
// syntax where it matters for the keys discovery reads: comments (# and ;), sections,
// backslash line continuation; it never fails, because a unit systemd would reject
// still tells a human where to look.
func parseUnit(data []byte) []directive {
	var out []directive
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	lineNo, startLine := 0, 0
	var pending strings.Builder
	for sc.Scan() {
		lineNo++
		line := strings.TrimRight(sc.Text(), "\r")
		if pending.Len() == 0 {
			trimmed := strings.TrimSpace(line)
			if trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';' {
				continue
			}
			startLine = lineNo
		} else if t := strings.TrimSpace(line); t != "" && (t[0] == '#' || t[0] == ';') {
			continue // systemd skips comment lines inside a continuation
		}
		if strings.HasSuffix(line, `\`) && !strings.HasSuffix(line, `\\`) {
			pending.WriteString(strings.TrimSuffix(line, `\`))
			pending.WriteByte(' ')
			continue
		}
		pending.WriteString(line)
		full := strings.TrimSpace(pending.String())
		pending.Reset()
		if strings.HasPrefix(full, "[") && strings.HasSuffix(full, "]") {
			section = full[1 : len(full)-1]
			continue
		}
		if section != "Service" {
			continue
		}
		key, value, ok := strings.Cut(full, "=")
		if !ok {
			continue
		}
		out = append(out, directive{Key: strings.TrimSpace(key), Value: strings.TrimSpace(value), Line: startLine})
	}
	return out
}

// splitWords splits an Environment= value into its assignments the way systemd does:
// words separated by blanks, double or single quotes group, and C escapes (\x20, \t,
// \\, \") are decoded. An unterminated quote ends at the end of the line.
func splitWords(s string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			r, n := unescape(s[i+1:])
			cur.WriteString(r)
			i += n
			inWord = true
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteByte(c)
		case c == '"' || c == '\'':
			quote = c
			inWord = true
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// unescape decodes the C escape at the start of s (after the backslash) and returns
// the text and how many bytes of s it used.
func unescape(s string) (string, int) {
	switch s[0] {
	case 'n':
		return "\n", 1
	case 't':
		return "\t", 1
	case 's':
		return " ", 1
	case 'x':
		if len(s) >= 3 {
			if b, err := strconv.ParseUint(s[1:3], 16, 8); err == nil {
				return string([]byte{byte(b)}), 3
			}
		}
	}
	return s[:1], 1
}

// parseEnvFile reads an EnvironmentFile: KEY=VALUE lines, # and ; comments, values
// optionally quoted.
func parseEnvFile(data []byte) map[string]string {
	env := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(strings.TrimRight(line, "\r"))
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		words := splitWords(strings.TrimSpace(value))
		env[strings.TrimSpace(key)] = strings.Join(words, " ")
	}
	return env
}

// unitSetting is a value from the unit and its drop-ins, with the file that set it last.
type unitSetting struct {
	Value string
	From  string // host path of the file (under root)
	Via   string // "" when set in From itself, else the EnvironmentFile it came through
}

// unit is what discovery learns from plexmediaserver.service and its drop-ins.
type unit struct {
	File     string // the unit file in effect, under root
	DropIns  []string
	Env      map[string]unitSetting
	User     unitSetting
	Group    unitSetting
	Problems []Looked // EnvironmentFiles that could not be read, and such
	// envFiles are the EnvironmentFile= entries in effect, in order; they are read once
	// the unit and every drop-in are folded (see readEnvFiles).
	envFiles []envFile
}

// envFile is one EnvironmentFile= entry.
type envFile struct {
	Path     string // under root
	Optional bool   // "-" prefix: a missing or unreadable file is no problem
	From     string // the unit file or drop-in that names it
	Line     int
}

// findUnit reads plexmediaserver.service as systemd would pick it, with its drop-ins in
// systemd's order (by file name; a drop-in in a higher-priority dir hides the same name
// in a lower one). It returns nil when there is no unit file.
func findUnit(root string, looked *[]Looked) *unit {
	u := &unit{Env: map[string]unitSetting{}}
	for _, dir := range unitDirs {
		p := rooted(root, filepath.Join(dir, unitName))
		if isFile(root, p) {
			u.File = p
			*looked = append(*looked, Looked{p, "found the systemd unit"})
			break
		}
		*looked = append(*looked, Looked{p, "not found"})
	}
	if u.File == "" {
		return nil
	}
	dropIns := map[string]string{}
	for i := len(unitDirs) - 1; i >= 0; i-- {
		matches := glob(root, rooted(root, filepath.Join(unitDirs[i], unitName+".d", "*.conf")))
		for _, m := range matches {
			dropIns[filepath.Base(m)] = m
		}
	}
	names := make([]string, 0, len(dropIns))
	for n := range dropIns {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		u.DropIns = append(u.DropIns, dropIns[n])
	}
	for _, f := range append([]string{u.File}, u.DropIns...) {
		data, err := readConfig(root, f)
		if err != nil {
			u.Problems = append(u.Problems, Looked{f, "unreadable: " + err.Error()})
			continue
		}
		u.apply(root, f, parseUnit(data))
	}
	u.readEnvFiles(root)
	return u
}

// apply folds one file's directives into u: a later assignment wins, an empty
// Environment= forgets every earlier Environment=, and an empty EnvironmentFile= every
// earlier EnvironmentFile=, as in systemd.
func (u *unit) apply(root, file string, ds []directive) {
	for _, d := range ds {
		switch d.Key {
		case "Environment":
			if d.Value == "" {
				u.Env = map[string]unitSetting{}
				continue
			}
			for _, w := range splitWords(d.Value) {
				if k, v, ok := strings.Cut(w, "="); ok && k != "" {
					u.Env[k] = unitSetting{Value: v, From: file}
				}
			}
		case "EnvironmentFile":
			if d.Value == "" {
				u.envFiles = nil
				continue
			}
			name := strings.TrimPrefix(d.Value, "-")
			u.envFiles = append(u.envFiles, envFile{Path: rooted(root, name), Optional: name != d.Value, From: file, Line: d.Line})
		case "User":
			u.User = unitSetting{Value: d.Value, From: file}
		case "Group":
			u.Group = unitSetting{Value: d.Value, From: file}
		}
	}
}

// readEnvFiles adds the EnvironmentFile= values over the Environment= ones. systemd
// gives a file's settings precedence over Environment=, wherever either line stands
// (systemd.exec(5); seen with systemd 252 in internal/systemdtest): a drop-in's
// Environment= does not move Plex's data dir when the unit's EnvironmentFile sets it,
// as Arch's /etc/conf.d/plexmediaserver does. Between files, the later one wins.
func (u *unit) readEnvFiles(root string) {
	for _, f := range u.envFiles {
		data, err := readConfig(root, f.Path)
		if err != nil {
			if !f.Optional {
				u.Problems = append(u.Problems, Looked{f.Path, fmt.Sprintf("EnvironmentFile= of %s (line %d) unreadable: %v", f.From, f.Line, err)})
			}
			continue
		}
		for k, v := range parseEnvFile(data) {
			u.Env[k] = unitSetting{Value: v, From: f.From, Via: f.Path}
		}
	}
}

// describe says where a unit setting came from, for How lines.
func (u *unit) describe(s unitSetting) string {
	kind := "unit"
	if s.From != u.File {
		kind = "unit's drop-in"
	}
	if s.Via != "" {
		return fmt.Sprintf("the systemd %s %s (through its EnvironmentFile %s)", kind, s.From, s.Via)
	}
	return fmt.Sprintf("the systemd %s %s", kind, s.From)
}

// rooted puts an absolute host path inside root. Unlike plan.RootedPath it cleans the
// path first, so a unit's "EnvironmentFile=/../../etc/shadow" stays inside root.
func rooted(root, p string) string {
	if root == "" {
		return p
	}
	return filepath.Join(root, filepath.Clean("/"+p))
}

// maxConfigSize bounds what is read of a configuration file: the ones discovery reads
// are a few kilobytes, and a unit may point EnvironmentFile= at anything.
const maxConfigSize = 1 << 20

// Discovery reads the host through fileutil.Root: under -root every path, symlinks
// included, resolves inside the tree; on this machine a link another user planted is
// not followed to someone else's file. Devices and FIFOs are refused unopened.

// readConfig reads a small regular file.
func readConfig(root, p string) ([]byte, error) {
	data, _, err := fileutil.RootAt(root).ReadFile(p, maxConfigSize)
	return data, err
}

func isFile(root, p string) bool {
	t, err := fileutil.RootAt(root).TypeOf(p)
	return err == nil && t.IsRegular()
}

func isDir(root, p string) bool {
	t, err := fileutil.RootAt(root).TypeOf(p)
	return err == nil && t.IsDir()
}

// resolved is where p leads inside root, for a command that takes the path (s6-svc):
// a symlinked service directory in the tree is not followed out of it by the command.
func resolved(root, p string) string {
	if r, err := fileutil.RootAt(root).Resolve(p); err == nil {
		return r
	}
	return p
}

// glob is filepath.Glob inside root.
func glob(root, pattern string) []string { return fileutil.RootAt(root).Glob(pattern) }
