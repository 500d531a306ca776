package redact

import (
	"fmt"
	"net/netip"
	"strings"
)

// isConnections tells the setting that lists the addresses a server is reached at
// (Settings > Network > "Custom server access URLs"): comma-separated URLs whose host
// names (a DDNS name, a public address) lead straight to someone's home.
func isConnections(name string) bool { return strings.EqualFold(name, "customConnections") }

// Documentation ranges (RFC 5737, RFC 3849) and the .invalid domain (RFC 2606): where
// host placeholders come from, and what is never masked again.
var (
	docNet4 = netip.MustParsePrefix("192.0.2.0/24")
	docNet6 = netip.MustParsePrefix("2001:db8::/32")
)

// connectionHosts returns the host of each entry of a customConnections value, as
// [start, end) offsets into value.
func connectionHosts(value string) [][2]int {
	var spans [][2]int
	off := 0
	for item := range strings.SplitSeq(value, ",") {
		start := len(item) - len(strings.TrimLeft(item, " \t"))
		if i := strings.Index(item, "://"); i >= 0 {
			start = i + 3
		}
		rest := item[start:]
		if at := strings.IndexByte(rest, '@'); at >= 0 && !strings.ContainsAny(rest[:at], "/?#") {
			start += at + 1 // user:password@ is not the host (a password is masked whole below)
			rest = item[start:]
		}
		end := strings.IndexAny(rest, ":/?# \t")
		if strings.HasPrefix(rest, "[") {
			end = strings.IndexByte(rest, ']') + 1
		}
		if end < 0 {
			end = len(rest)
		}
		if end > 0 {
			spans = append(spans, [2]int{off + start, off + start + end})
		}
		off += len(item) + 1
	}
	return spans
}

// hostPlaceholder is what a host becomes: a name becomes host-N.invalid and a public
// address one of the documentation ranges, N counting distinct hosts; loopback, private
// and link-local addresses (which lead nowhere from outside) and placeholders stay.
func (s *scrubber) hostPlaceholder(host string) string {
	if p, ok := s.placeholders[host]; ok {
		return p
	}
	bare := strings.Trim(host, "[]")
	if addr, err := netip.ParseAddr(bare); err == nil {
		if addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() || addr.IsUnspecified() ||
			docNet4.Contains(addr) || docNet6.Contains(addr) {
			return host
		}
		s.hosts++
		p := fmt.Sprintf("192.0.2.%d", (s.hosts-1)%254+1)
		if addr.Is6() {
			p = fmt.Sprintf("[2001:db8::%x]", s.hosts)
		}
		s.placeholders[host] = p
		return p
	}
	lower := strings.ToLower(host)
	if lower == "localhost" || strings.HasSuffix(lower, ".invalid") {
		return host
	}
	s.hosts++
	p := fmt.Sprintf("host-%d.invalid", s.hosts)
	s.placeholders[host] = p
	return p
}

// collectHosts gives each host of a customConnections value its placeholder; the longer
// ones are then also searched for elsewhere in the file.
func (s *scrubber) collectHosts(value string) {
	for _, sp := range connectionHosts(value) {
		host := value[sp[0]:sp[1]]
		if p := s.hostPlaceholder(host); p != host && len(host) >= minLeftover && !s.known(host) {
			s.secrets = append(s.secrets, host)
		}
	}
	s.sortSecrets()
}

// maskConnections replaces each host in a customConnections value, keeping the scheme,
// port and path so a helper can still see whether the URLs are well formed.
func (s *scrubber) maskConnections(value string) string {
	var b strings.Builder
	last := 0
	for _, sp := range connectionHosts(value) {
		b.WriteString(value[last:sp[0]])
		b.WriteString(s.hostPlaceholder(value[sp[0]:sp[1]]))
		last = sp[1]
	}
	b.WriteString(value[last:])
	return b.String()
}
