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

// identityChangeMsg is the warning for a plan that removes (field "absent") or sets
// (field "set") an identity setting: said in plan and validate, before anything
// changes, because the loss cannot be rolled back at plex.tv once the server has started
// under a new identity. Only the machine identifiers are known to be what plex.tv files
// the server under (ProcessedMachineIdentifier is its X-Plex-Client-Identifier); for
// AnonymousMachineIdentifier and CertificateUUID no public source says plex.tv makes a
// new server of it, so the warning says only that it may. CertificateUUID names the
// server's plex.direct certificate (github.com/swizzin/swizzin/issues/793: the
// certificate's common name is the CertificateUUID).
func identityChangeMsg(resource, field, name string) string {
	change := "without it"
	if field == "set" {
		change = "with another value"
	}
	switch {
	case strings.EqualFold(name, "MachineIdentifier") || strings.EqualFold(name, "ProcessedMachineIdentifier"):
		return fmt.Sprintf("%s: %s: %s is the server's identity: %s the server comes back as a new server at plex.tv, "+
			"and its shares, devices and remote access stay with the old one; %s a copy that is to become a server of its own", resource, field, name, change, identityRemedy(field))
	case strings.EqualFold(name, "CertificateUUID"):
		return fmt.Sprintf("%s: %s: %s names the server's plex.direct certificate: %s Plex may treat the server as a new one; "+
			"%s a copy that is to become a server of its own", resource, field, name, change, identityRemedy(field))
	default:
		return fmt.Sprintf("%s: %s: %s identifies the server to Plex: %s Plex may treat the server as a new one; "+
			"%s a copy that is to become a server of its own", resource, field, name, change, identityRemedy(field))
	}
}

func identityRemedy(field string) string {
	if field == "set" {
		return "change it only on"
	}
	return "remove it only from"
}

// identityRemovals warns about each identity setting under absent: or set:, for
// validate, which cannot see whether the store holds it or what value.
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
		out = append(out, Warning{Pos: at, Msg: identityChangeMsg(r.Name, "absent", name)})
	}
	for _, set := range r.Set {
		if IsIdentityName(set.Name) {
			out = append(out, Warning{Pos: set.Pos, Msg: identityChangeMsg(r.Name, "set", set.Name)})
		}
	}
	return out
}
