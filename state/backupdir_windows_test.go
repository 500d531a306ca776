package state

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/windows"

	"github.com/plexform/plexform/internal/testtool"
)

// underWine tells Wine (scripts/wine-test.sh) from Windows, for what Wine does not do.
func underWine() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
}

// aclProblem judges a security descriptor; these are written in SDDL, as icacls and
// PowerShell's Get-Acl -Sddl show them.
func TestWindowsACLProblem(t *testing.T) {
	me, err := currentUser()
	if err != nil {
		t.Fatal(err)
	}
	other := "S-1-5-21-1000-2000-3000-1013" // an account of no one here
	for _, c := range []struct {
		sddl, want string // want "" for private
	}{
		{"O:" + me.String() + "D:P(A;OICI;FA;;;" + me.String() + ")", ""},
		{"O:BAD:P(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICI;FA;;;" + me.String() + ")", ""},
		{"O:SYD:P(A;;FA;;;SY)(A;OICIIO;FA;;;CO)", ""},
		{"O:" + me.String() + "D:P(A;;FA;;;" + me.String() + ")(D;;FA;;;WD)", ""}, // a deny takes away only
		{"O:" + other + "D:P(A;;FA;;;" + me.String() + ")", "belongs to " + other},
		{"O:" + me.String() + "D:P(A;;FR;;;WD)", "lets "},      // Everyone may read
		{"O:" + me.String() + "D:P(A;;FR;;;WD)", " read it"},   // ...and it says read
		{"O:" + me.String() + "D:P(A;;0x2;;;BU)", " write it"}, // Users may add files
		{"O:" + me.String() + "D:P(A;;FA;;;CO)", "lets "},      // CREATOR OWNER on the dir itself
	} {
		sd, err := windows.SecurityDescriptorFromString(c.sddl)
		if err != nil {
			t.Fatalf("%s: %v", c.sddl, err)
		}
		got := aclProblem(sd, me, `C:\backups`)
		switch {
		case c.want == "" && got != "":
			t.Errorf("%s: refused as %q, want it private", c.sddl, got)
		case c.want != "" && !strings.Contains(got, c.want):
			t.Errorf("%s: %q, want it refused with %q", c.sddl, got, c.want)
		case c.want != "" && !strings.Contains(got, "icacls"):
			t.Errorf("%s: %q says no fix", c.sddl, got)
		}
	}

	// A NULL DACL grants everyone everything.
	sd, err := windows.NewSecurityDescriptor()
	if err != nil {
		t.Fatal(err)
	}
	if err := sd.SetOwner(me, false); err != nil {
		t.Fatal(err)
	}
	if err := sd.SetDACL(nil, true, false); err != nil {
		t.Fatal(err)
	}
	if got := aclProblem(sd, me, `C:\backups`); !strings.Contains(got, "no access control list") {
		t.Errorf("a NULL DACL: %q, want it refused", got)
	}
}

// A backups dir plexform makes has a protected DACL that grants only this user, and it
// passes its own check; one that others may write is refused.
func TestWindowsBackupsDirIsMadePrivate(t *testing.T) {
	dir := filepath.Join(testtool.TempDir(t), "state", "backups")
	d, err := openTrustedDir(dir, true)
	if err != nil {
		t.Fatalf("openTrustedDir: %v", err)
	}
	d.close()
	sd, err := windows.GetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		t.Fatal(err)
	}
	me, _ := currentUser()
	if want := "D:P(A;OICI;FA;;;" + me.String() + ")"; !strings.Contains(sd.String(), want) {
		if underWine() {
			// Wine 8 does not keep the descriptor given to CreateDirectory: it reports
			// its default (SYSTEM and the user). The check below still runs.
			t.Logf("under Wine the new dir's descriptor is %s, not %s", sd, want)
		} else {
			t.Errorf("the new dir's security descriptor is %s, want %s", sd, want)
		}
	}
	if problem := aclProblem(sd, me, dir); problem != "" {
		t.Errorf("the dir plexform made fails its own check: %s", problem)
	}

	// Now let Everyone write it: refused, and nothing is written into it.
	open, err := windows.SecurityDescriptorFromString("D:P(A;OICI;FA;;;" + me.String() + ")(A;OICI;FA;;;WD)")
	if err != nil {
		t.Fatal(err)
	}
	dacl, _, err := open.DACL()
	if err != nil {
		t.Fatal(err)
	}
	if err := windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil); err != nil {
		t.Fatal(err)
	}
	b := &Dir{Path: dir}
	if err := b.WriteFile("state", []byte("x")); !errors.Is(err, ErrUntrustedDir) {
		t.Errorf("WriteFile into a dir Everyone may write: %v, want it refused", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "state")); err == nil {
		t.Error("a state file was written into a dir Everyone may write")
	}
}

// A symlink on the way to the backups dir is refused, not followed.
func TestWindowsBackupsDirRefusesALinkOnTheWay(t *testing.T) {
	base := testtool.TempDir(t)
	real := filepath.Join(base, "real")
	if err := os.Mkdir(real, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Skipf("cannot make a symlink here (Windows needs Developer Mode or an elevated process): %v", err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		// Wine 8 makes a Unix symlink that it does not report as a reparse point.
		t.Skipf("this system does not show the symlink as one (%v); on Windows it does", err)
	}
	b := &Dir{Path: filepath.Join(base, "link", "backups")}
	if err := b.WriteFile("state", []byte("x")); !errors.Is(err, ErrUntrustedDir) {
		t.Errorf("WriteFile through a symlink: %v, want it refused", err)
	}
	if _, err := os.Lstat(filepath.Join(real, "backups")); err == nil {
		t.Error("the backups dir was made through the link")
	}
}
