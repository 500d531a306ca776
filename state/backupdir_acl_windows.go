//go:build windows

package state

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// On Windows a directory's protection is its owner and DACL, so the backups dir is
// trusted as ssh trusts ~/.ssh there too: owned by this user (or, for an elevated
// process, by Administrators or SYSTEM), and no access control entry gives anyone else
// any access. plexform makes it with a protected DACL that grants only this user.

// currentUser is the SID of the account plexform runs as.
func currentUser() (*windows.SID, error) {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return nil, fmt.Errorf("read this process's user: %w", err)
	}
	return u.User.Sid.Copy()
}

// mkdirPrivate makes one directory whose DACL grants only this user full control (to
// it and, inherited, to everything made in it), protected from the parent's entries.
func mkdirPrivate(path string) error {
	me, err := currentUser()
	if err != nil {
		return err
	}
	sd, err := windows.SecurityDescriptorFromString("D:P(A;OICI;FA;;;" + me.String() + ")")
	if err != nil {
		return fmt.Errorf("build the private DACL for %s: %w", path, err)
	}
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return err
	}
	sa := &windows.SecurityAttributes{SecurityDescriptor: sd}
	sa.Length = uint32(unsafe.Sizeof(*sa))
	return windows.CreateDirectory(p, sa)
}

// dirACLProblem reads the owner and DACL of the directory at path and says why they do
// not make it private, with what to do; "" when they do.
func dirACLProblem(path string) (string, error) {
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return "", fmt.Errorf("read the owner and ACL of %s: %w", path, err)
	}
	me, err := currentUser()
	if err != nil {
		return "", err
	}
	return aclProblem(sd, me, path), nil
}

// aclProblem is dirACLProblem's verdict on one security descriptor.
func aclProblem(sd *windows.SECURITY_DESCRIPTOR, me *windows.SID, path string) string {
	fix := fmt.Sprintf("fix: remove it (plexform makes a new one), or make it private: icacls \"%s\" /inheritance:r /grant:r \"%%USERNAME%%:(OI)(CI)F\"", path)
	owner, _, err := sd.Owner()
	if err != nil || owner == nil {
		return fmt.Sprintf("backups dir %s has no owner plexform can read, and backups hold Plex's token; %s", path, fix)
	}
	if !owner.Equals(me) && !owner.IsWellKnown(windows.WinBuiltinAdministratorsSid) && !owner.IsWellKnown(windows.WinLocalSystemSid) {
		return fmt.Sprintf("backups dir %s belongs to %s, not to %s who runs plexform (nor to Administrators or SYSTEM), and backups hold Plex's token; %s",
			path, sidName(owner), sidName(me), fix)
	}
	dacl, _, err := sd.DACL()
	if err != nil || dacl == nil {
		// No DACL, or a NULL one, grants everyone everything.
		return fmt.Sprintf("backups dir %s has no access control list, so everyone may read and write it, and backups hold Plex's token; %s", path, fix)
	}
	for i := uint32(0); i < uint32(dacl.AceCount); i++ {
		var ace *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(dacl, i, &ace); err != nil {
			return fmt.Sprintf("backups dir %s: its access control list cannot be read (%v); %s", path, err, fix)
		}
		switch ace.Header.AceType {
		case windows.ACCESS_DENIED_ACE_TYPE:
			continue // takes access away only
		case windows.ACCESS_ALLOWED_ACE_TYPE:
		default:
			// Object and callback entries grant access on conditions plexform does not
			// evaluate: not private as far as it can tell.
			return fmt.Sprintf("backups dir %s has an access control entry of type %d, which plexform does not evaluate, and backups hold Plex's token; %s", path, ace.Header.AceType, fix)
		}
		if ace.Mask == 0 {
			continue
		}
		sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
		if trustedSID(sid, me, ace.Header.AceFlags) {
			continue
		}
		what := "read"
		if ace.Mask&writeAccess != 0 {
			what = "write"
		}
		return fmt.Sprintf("backups dir %s lets %s %s it (an access control entry for someone other than %s, Administrators or SYSTEM), and backups hold Plex's token; %s",
			path, sidName(sid), what, sidName(me), fix)
	}
	return ""
}

// writeAccess is every right that lets a holder change what the directory holds or who
// may: add or delete entries, or rewrite its owner or DACL.
const writeAccess = fileAddFile | fileAddSubdirectory | fileDeleteChild |
	windows.FILE_WRITE_ATTRIBUTES | windows.FILE_WRITE_EA | windows.DELETE | windows.WRITE_DAC | windows.WRITE_OWNER |
	windows.GENERIC_WRITE | windows.GENERIC_ALL

// A directory's own rights (winnt.h), which x/sys/windows does not name.
const (
	fileAddFile         = 0x0002
	fileAddSubdirectory = 0x0004
	fileDeleteChild     = 0x0040
)

// trustedSID: this user, Administrators and SYSTEM may have access; so may CREATOR
// OWNER in an entry only inherited (it stands for whoever makes a file inside, which
// only the trusted can).
func trustedSID(sid, me *windows.SID, flags uint8) bool {
	switch {
	case sid.Equals(me), sid.IsWellKnown(windows.WinBuiltinAdministratorsSid), sid.IsWellKnown(windows.WinLocalSystemSid):
		return true
	case sid.IsWellKnown(windows.WinCreatorOwnerSid):
		return flags&windows.INHERIT_ONLY_ACE != 0
	}
	return false
}

// sidName spells a SID as DOMAIN\name where Windows knows it, with the SID itself.
func sidName(sid *windows.SID) string {
	account, domain, _, err := sid.LookupAccount("")
	if err != nil || account == "" {
		return sid.String()
	}
	if domain != "" {
		account = domain + `\` + account
	}
	return account + " (" + sid.String() + ")"
}
