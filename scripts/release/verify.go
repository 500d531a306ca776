package main

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"

	// The schema verify compares a release's asset with is made from the kinds.
	_ "github.com/plexform/plexform/kinds"
	"github.com/plexform/plexform/plan"
)

// targets are the release's OS/arch pairs, as archive names spell them.
var targets = []string{
	"linux_amd64", "linux_arm64", "linux_armv7", "darwin_amd64", "darwin_arm64",
	"windows_amd64", "windows_arm64", "freebsd_amd64",
}

var archiveName = regexp.MustCompile(`^plexform_(.+)_(linux|darwin|windows|freebsd)_(amd64|arm64|armv7)\.(tar\.gz|zip)$`)

// maxMember bounds what is read of one archive member: a plexform binary is ~10 MB.
const maxMember = 256 << 20

// verifyDist checks a dist/ directory: SHA256SUMS names every archive there and the
// schema asset, and each sum is right; every target has its archive; each archive holds
// exactly the top directory, the binary, README.md and LICENSE with fixed owners, modes
// and one time; each binary is a static, -trimpath build for its OS and architecture;
// and the schema asset is the one the release publishes (verifySchemaAsset).
func verifyDist(dist, version string) (int, error) {
	sums, err := readSums(filepath.Join(dist, "SHA256SUMS"))
	if err != nil {
		return 0, err
	}
	des, err := os.ReadDir(dist)
	if err != nil {
		return 0, err
	}
	allSums := maps.Clone(sums) // sums loses each name checked
	var errs error
	seen := map[string]bool{}
	for _, de := range des {
		switch de.Name() {
		case "SHA256SUMS":
			continue
		case "plexform.rb", "plexform.json":
			if err := verifyManifest(dist, de.Name(), allSums, version); err != nil {
				errs = multierror.Append(errs, fmt.Errorf("%s: %w", de.Name(), err))
			}
			continue
		case plan.SchemaAsset:
			if err := checkSum(dist, de.Name(), sums); err != nil {
				errs = multierror.Append(errs, err)
			}
			delete(sums, de.Name())
			if err := verifySchemaAsset(filepath.Join(dist, de.Name()), version); err != nil {
				errs = multierror.Append(errs, fmt.Errorf("%s: %w", de.Name(), err))
			}
			continue
		}
		if m := debName.FindStringSubmatch(de.Name()); m != nil {
			target := debTarget[m[2]]
			seen[target+".deb"] = true
			if err := checkSum(dist, de.Name(), sums); err != nil {
				errs = multierror.Append(errs, err)
			}
			delete(sums, de.Name())
			if version != "" && m[1] != debVersion(version) {
				errs = multierror.Append(errs, fmt.Errorf("%s: version %s, want %s", de.Name(), m[1], debVersion(version)))
			}
			if err := verifyDeb(filepath.Join(dist, de.Name()), m[1], m[2], target); err != nil {
				errs = multierror.Append(errs, fmt.Errorf("%s: %w", de.Name(), err))
			}
			continue
		}
		m := archiveName.FindStringSubmatch(de.Name())
		if m == nil {
			errs = multierror.Append(errs, fmt.Errorf("%s: not a release archive name", de.Name()))
			continue
		}
		if version != "" && m[1] != version {
			errs = multierror.Append(errs, fmt.Errorf("%s: version %s, want %s", de.Name(), m[1], version))
		}
		seen[m[2]+"_"+m[3]] = true
		data, err := os.ReadFile(filepath.Join(dist, de.Name()))
		if err != nil {
			errs = multierror.Append(errs, err)
			continue
		}
		sum := sha256.Sum256(data)
		if want, ok := sums[de.Name()]; !ok {
			errs = multierror.Append(errs, fmt.Errorf("%s: not in SHA256SUMS", de.Name()))
		} else if want != hex.EncodeToString(sum[:]) {
			errs = multierror.Append(errs, fmt.Errorf("%s: sha256 does not match SHA256SUMS", de.Name()))
		}
		delete(sums, de.Name())
		if err := verifyArchive(de.Name(), data, m[2], m[3]); err != nil {
			errs = multierror.Append(errs, fmt.Errorf("%s: %w", de.Name(), err))
		}
	}
	for name := range sums {
		errs = multierror.Append(errs, fmt.Errorf("SHA256SUMS names %s, which is not in %s", name, dist))
	}
	for _, t := range targets {
		if !seen[t] {
			errs = multierror.Append(errs, fmt.Errorf("no archive for %s", t))
		}
	}
	for _, t := range debTarget {
		if !seen[t+".deb"] {
			errs = multierror.Append(errs, fmt.Errorf("no .deb for %s", t))
		}
	}
	for _, name := range []string{"plexform.rb", "plexform.json", plan.SchemaAsset} {
		if _, err := os.Lstat(filepath.Join(dist, name)); err != nil {
			errs = multierror.Append(errs, fmt.Errorf("no %s: %w", name, err))
		}
	}
	return len(seen), errs
}

// checkSum checks name's sha256 against SHA256SUMS.
func checkSum(dist, name string, sums map[string]string) error {
	data, err := os.ReadFile(filepath.Join(dist, name))
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	if want, ok := sums[name]; !ok {
		return fmt.Errorf("%s: not in SHA256SUMS", name)
	} else if want != hex.EncodeToString(sum[:]) {
		return fmt.Errorf("%s: sha256 does not match SHA256SUMS", name)
	}
	return nil
}

// verifyManifest checks that the Homebrew formula or the Scoop manifest in dist is the
// one the release's own SHA256SUMS gives (so its hashes are the archives').
func verifyManifest(dist, name string, sums map[string]string, version string) error {
	got, err := os.ReadFile(filepath.Join(dist, name))
	if err != nil {
		return err
	}
	if version == "" {
		return errors.New("checking it needs -version")
	}
	render := formula
	if name == "plexform.json" {
		render = scoop
	}
	want, err := render(sums, version)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("differs from what SHA256SUMS and version %s give", version)
	}
	return nil
}

// verifySchemaAsset checks the plan schema published with the release: it is exactly
// the schema this source makes for version, and its $id is where the release publishes
// it (releaseURL with plan.SchemaAsset), which is also the URL `plexform init` of that
// version writes (plan.SchemaURL).
func verifySchemaAsset(path, version string) error {
	if version == "" {
		return errors.New("checking it needs -version")
	}
	got, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	published := fmt.Sprintf(releaseURL, version, plan.SchemaAsset)
	if url := plan.SchemaURL(version); url != published {
		return fmt.Errorf("plexform %s names its schema %s, but the release publishes it at %s", version, url, published)
	}
	var head struct {
		ID     string `json:"$id"`
		Schema string `json:"$schema"`
	}
	if err := json.Unmarshal(got, &head); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if head.ID != published {
		return fmt.Errorf("$id is %q, want %s", head.ID, published)
	}
	want, err := plan.Schema(published)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("differs from the schema this source makes for %s (plexform schema of the release binary)", version)
	}
	return nil
}

// readSums reads sha256sum's output: "HEX  NAME" per line.
func readSums(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(io.LimitReader(f, 1<<20))
	for n := 1; sc.Scan(); n++ {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != 64 {
			return nil, fmt.Errorf("%s:%d: not a sha256sum line", path, n)
		}
		sums[name] = sum
	}
	return sums, sc.Err()
}

// member is one archive entry as read back.
type member struct {
	name     string
	mode     os.FileMode
	uid, gid int
	mtime    time.Time
	data     []byte
}

func verifyArchive(name string, data []byte, goos, arch string) error {
	var members []member
	var err error
	if strings.HasSuffix(name, ".zip") {
		if goos != "windows" {
			return errors.New("only windows archives are zip files")
		}
		members, err = readZip(data)
	} else {
		if goos == "windows" {
			return errors.New("windows archives are zip files")
		}
		members, err = readTarGz(data)
	}
	if err != nil {
		return err
	}
	top := strings.TrimSuffix(strings.TrimSuffix(name, ".zip"), ".tar.gz")
	exe := "plexform"
	if goos == "windows" {
		exe = "plexform.exe"
	}
	var errs error
	if err := checkContents(top, exe, members); err != nil {
		return err
	}
	var bin *member
	for i, m := range members {
		wantMode := os.FileMode(0o644)
		switch {
		case strings.HasSuffix(m.name, "/"):
			wantMode = os.ModeDir | 0o755
		case m.name == top+"/"+exe:
			wantMode = 0o755
			bin = &members[i]
		}
		if m.mode != wantMode {
			errs = multierror.Append(errs, fmt.Errorf("%s: mode %v, want %v", m.name, m.mode, wantMode))
		}
		if m.uid != 0 || m.gid != 0 {
			errs = multierror.Append(errs, fmt.Errorf("%s: owner %d:%d, want 0:0", m.name, m.uid, m.gid))
		}
		if !m.mtime.Equal(members[0].mtime) {
			errs = multierror.Append(errs, fmt.Errorf("%s: time %v differs from the others' %v", m.name, m.mtime, members[0].mtime))
		}
	}
	if err := verifyBinary(bin.data, goos, arch); err != nil {
		errs = multierror.Append(errs, fmt.Errorf("%s: %w", bin.name, err))
	}
	return errs
}

// shipped are the files every archive holds besides the binary: what the README links
// (docs/, examples/), the man page and the completions.
var shipped = []string{"LICENSE", "README.md", "completions/plexform.bash", "completions/plexform.fish",
	"completions/plexform.ps1", "completions/plexform.zsh", "docs/", "examples/", "plexform.1"}

// readmeRef is a path the README names in the archive: docs/... or examples/..., in a
// link or in backquotes; a name that stops at "{" (plexform-signin.{service,timer}) is a
// prefix of the files it names.
var readmeRef = regexp.MustCompile("[(`]((?:docs|examples)/[A-Za-z0-9._/-]*)")

// checkContents checks an archive's entries: all under top, in name order, the top
// directory first, the binary and every shipped file there, no Go test file, every
// docs/ or examples/ path the README names present, and a man page for plexform(1).
func checkContents(top, exe string, members []member) error {
	var errs error
	names := map[string]*member{}
	for i, m := range members {
		if !strings.HasPrefix(m.name, top+"/") {
			errs = multierror.Append(errs, fmt.Errorf("%s: outside the top directory %s/", m.name, top))
		}
		if i > 0 && m.name <= members[i-1].name {
			errs = multierror.Append(errs, fmt.Errorf("%s after %s: entries are not in name order", m.name, members[i-1].name))
		}
		if strings.HasSuffix(m.name, "_test.go") {
			errs = multierror.Append(errs, fmt.Errorf("%s: a Go test file has no place in a release", m.name))
		}
		names[strings.TrimPrefix(m.name, top+"/")] = &members[i]
	}
	if len(members) == 0 || members[0].name != top+"/" {
		return multierror.Append(errs, fmt.Errorf("the first entry is not the top directory %s/", top))
	}
	for _, want := range append([]string{exe}, shipped...) {
		if names[want] == nil {
			errs = multierror.Append(errs, fmt.Errorf("no %s/%s", top, want))
		}
	}
	if errs != nil {
		return errs
	}
	for _, ref := range readmeRef.FindAllStringSubmatch(string(names["README.md"].data), -1) {
		if !slices.ContainsFunc(members, func(m member) bool { return strings.HasPrefix(m.name, top+"/"+ref[1]) }) {
			errs = multierror.Append(errs, fmt.Errorf("README.md names %s, which is not in the archive", ref[1]))
		}
	}
	if !bytes.Contains(names["plexform.1"].data, []byte("\n.TH PLEXFORM 1 ")) {
		errs = multierror.Append(errs, errors.New("plexform.1 has no .TH PLEXFORM 1 line"))
	}
	return errs
}

func readTarGz(data []byte) ([]member, error) {
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	var out []member
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(io.LimitReader(tr, maxMember))
		if err != nil {
			return nil, err
		}
		out = append(out, member{name: h.Name, mode: h.FileInfo().Mode(), uid: h.Uid, gid: h.Gid, mtime: h.ModTime, data: body})
	}
}

func readZip(data []byte) ([]member, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	var out []member
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(io.LimitReader(rc, maxMember))
		rc.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, member{name: f.Name, mode: f.Mode(), mtime: f.Modified, data: body})
	}
	return out, nil
}

// verifyBinary checks the executable format, the machine and, from the build info Go
// embeds, that it was built for this target with CGO_ENABLED=0 and -trimpath.
func verifyBinary(bin []byte, goos, arch string) error {
	r := bytes.NewReader(bin)
	switch goos {
	case "linux", "freebsd":
		f, err := elf.NewFile(r)
		if err != nil {
			return fmt.Errorf("not an ELF file: %w", err)
		}
		wantMachine := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64, "armv7": elf.EM_ARM}[arch]
		if f.Machine != wantMachine {
			return fmt.Errorf("ELF machine %v, want %v", f.Machine, wantMachine)
		}
		wantABI := elf.ELFOSABI_NONE
		if goos == "freebsd" {
			wantABI = elf.ELFOSABI_FREEBSD
		}
		if f.OSABI != wantABI {
			return fmt.Errorf("ELF OS ABI %v, want %v", f.OSABI, wantABI)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				return errors.New("has a program interpreter: dynamically linked, want static")
			}
		}
		if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
			return fmt.Errorf("links %v dynamically, want static", libs)
		}
	case "darwin":
		f, err := macho.NewFile(r)
		if err != nil {
			return fmt.Errorf("not a Mach-O file: %w", err)
		}
		want := map[string]macho.Cpu{"amd64": macho.CpuAmd64, "arm64": macho.CpuArm64}[arch]
		if f.Cpu != want || f.Type != macho.TypeExec {
			return fmt.Errorf("Mach-O %v %v, want an executable for %v", f.Type, f.Cpu, want)
		}
	case "windows":
		f, err := pe.NewFile(r)
		if err != nil {
			return fmt.Errorf("not a PE file: %w", err)
		}
		want := map[string]uint16{"amd64": pe.IMAGE_FILE_MACHINE_AMD64, "arm64": pe.IMAGE_FILE_MACHINE_ARM64}[arch]
		if f.Machine != want || f.Characteristics&pe.IMAGE_FILE_EXECUTABLE_IMAGE == 0 {
			return fmt.Errorf("PE machine %#x, want an executable for %#x", f.Machine, want)
		}
	}
	info, err := buildinfo.Read(r)
	if err != nil {
		return fmt.Errorf("no Go build info: %w", err)
	}
	goarch, goarm := arch, ""
	if arch == "armv7" {
		goarch, goarm = "arm", "7"
	}
	want := map[string]string{"GOOS": goos, "GOARCH": goarch, "CGO_ENABLED": "0", "-trimpath": "true"}
	if goarm != "" {
		want["GOARM"] = goarm
	}
	got := map[string]string{}
	for _, s := range info.Settings {
		got[s.Key] = s.Value
	}
	for k, v := range want {
		if got[k] != v {
			return fmt.Errorf("built with %s=%q, want %q", k, got[k], v)
		}
	}
	return nil
}
