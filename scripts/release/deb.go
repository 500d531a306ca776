package main

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-multierror"
)

// The .deb packages: the binary, man page and completions where Debian Policy and the
// shells look for them, a copyright file, and no maintainer script (nothing runs at
// install: no service, no user). release.sh builds them with dpkg-deb; verify reads them
// back with dpkg-deb, the tool apt itself unpacks with.

var debName = regexp.MustCompile(`^plexform_(.+)_(amd64|arm64|armhf)\.deb$`)

// debTarget maps Debian's architecture names to the release's targets.
var debTarget = map[string]string{"amd64": "linux_amd64", "arm64": "linux_arm64", "armhf": "linux_armv7"}

// debVersion is the release version as Debian orders it: a pre-release's "-" becomes
// "~" (1.2.0~rc.1 sorts before 1.2.0, and a "-" would start a Debian revision).
func debVersion(v string) string { return strings.Replace(v, "-", "~", 1) }

// debFiles are the files of the package (directories aside) and their modes.
var debFiles = map[string]int64{
	"./usr/bin/plexform": 0o755,
	"./usr/share/bash-completion/completions/plexform":    0o644,
	"./usr/share/doc/plexform/copyright":                  0o644,
	"./usr/share/doc/plexform/changelog.gz":               0o644,
	"./usr/share/fish/vendor_completions.d/plexform.fish": 0o644,
	"./usr/share/man/man1/plexform.1.gz":                  0o644,
	"./usr/share/zsh/vendor-completions/_plexform":        0o644,
}

func dpkgDeb(args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "dpkg-deb", args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("dpkg-deb %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errOut.String()))
	}
	return out.Bytes(), nil
}

// verifyDeb checks a .deb: its control fields, no maintainer scripts, exactly debFiles
// (with their directories) owned by root:root with one time, and the binary a static
// build for arch.
func verifyDeb(path, version, arch, target string) error {
	var errs error
	fields, err := dpkgDeb("--field", path, "Package", "Version", "Architecture", "Depends", "Pre-Depends")
	if err != nil {
		return err
	}
	want := fmt.Sprintf("Package: plexform\nVersion: %s\nArchitecture: %s\n", version, arch)
	if string(fields) != want {
		errs = multierror.Append(errs, fmt.Errorf("control fields\n%s\nwant (and no Depends)\n%s", fields, want))
	}
	ctrl, err := dpkgDeb("--ctrl-tarfile", path)
	if err != nil {
		return err
	}
	ctrlNames, err := tarNames(ctrl)
	if err != nil {
		return err
	}
	for _, n := range ctrlNames {
		if n != "./" && n != "./control" && n != "./md5sums" {
			errs = multierror.Append(errs, fmt.Errorf("control member %s: the package runs nothing at install", n))
		}
	}
	data, err := dpkgDeb("--fsys-tarfile", path)
	if err != nil {
		return err
	}
	tr := tar.NewReader(bytes.NewReader(data))
	seen := map[string]bool{}
	var mtime time.Time
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if mtime.IsZero() {
			mtime = h.ModTime
		}
		if !h.ModTime.Equal(mtime) {
			errs = multierror.Append(errs, fmt.Errorf("%s: time %v differs from the others' %v", h.Name, h.ModTime, mtime))
		}
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "root" || h.Gname != "root" {
			errs = multierror.Append(errs, fmt.Errorf("%s: owner %s:%s (%d:%d), want root:root", h.Name, h.Uname, h.Gname, h.Uid, h.Gid))
		}
		if h.Typeflag == tar.TypeDir {
			if h.Mode != 0o755 {
				errs = multierror.Append(errs, fmt.Errorf("%s: mode %o, want 755", h.Name, h.Mode))
			}
			if !slices.ContainsFunc(slices.Collect(maps.Keys(debFiles)), func(f string) bool { return strings.HasPrefix(f, h.Name) }) {
				errs = multierror.Append(errs, fmt.Errorf("%s: a directory the package has no use for", h.Name))
			}
			continue
		}
		wantMode, ok := debFiles[h.Name]
		switch {
		case !ok || h.Typeflag != tar.TypeReg:
			errs = multierror.Append(errs, fmt.Errorf("%s: not a file of the package", h.Name))
			continue
		case h.Mode != wantMode:
			errs = multierror.Append(errs, fmt.Errorf("%s: mode %o, want %o", h.Name, h.Mode, wantMode))
		}
		seen[h.Name] = true
		body, err := io.ReadAll(io.LimitReader(tr, maxMember))
		if err != nil {
			return err
		}
		if h.Name == "./usr/bin/plexform" {
			goos, goarch, _ := strings.Cut(target, "_")
			if err := verifyBinary(body, goos, goarch); err != nil {
				errs = multierror.Append(errs, fmt.Errorf("%s: %w", h.Name, err))
			}
		}
	}
	for f := range debFiles {
		if !seen[f] {
			errs = multierror.Append(errs, fmt.Errorf("no %s", f))
		}
	}
	return errs
}

func tarNames(data []byte) ([]string, error) {
	tr := tar.NewReader(bytes.NewReader(data))
	var names []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return names, nil
		}
		if err != nil {
			return nil, err
		}
		names = append(names, h.Name)
	}
}
