package plan

import (
	"fmt"
	"strings"
)

// IdentityNames are the settings that make a Plex Media Server the server plex.tv knows:
// the machine identifiers (ProcessedMachineIdentifier is what /identity reports and
// plex.tv files the server under) and the certificate id behind its plex.direct
// address. PMS makes new ones at start when they are missing, which is why people remove
// them to turn a clone into a server of its own; on the server itself it severs every
// share, device and remote-access setting tied to the old identity.
var IdentityNames = []string{"MachineIdentifier", "ProcessedMachineIdentifier", "AnonymousMachineIdentifier", "CertificateUUID"}

// IsIdentityName reports whether name is one of IdentityNames, in any case (PMS versions
// differ in casing).
func IsIdentityName(name string) bool {
	for _, n := range IdentityNames {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// identityRemovalMsg is the warning for a plan that removes an identity setting: said
// in plan and validate, before anything changes, because the loss cannot be rolled back
// at plex.tv once the server has started under a new identity.
func identityRemovalMsg(resource, name string) string {
	return fmt.Sprintf("%s: absent: %s is the server's identity: without it the server comes back as a new server at plex.tv, "+
		"and its shares, devices and remote access stay with the old one; remove it only from a copy that is to become a server of its own", resource, name)
}

// identityRemovals warns about each identity setting under absent:, for validate, which
// cannot see whether the store holds it.
func (r *Resource) identityRemovals() []Warning {
	var out []Warning
	for i, name := range r.Absent {
		if !IsIdentityName(name) {
			continue
		}
		at := r.fieldPos["absent"]
		if i < len(r.absentPos) {
			at = r.absentPos[i]
		}
		out = append(out, Warning{Pos: at, Msg: identityRemovalMsg(r.Name, name)})
	}
	return out
}
