package signin

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/plexform/plexform/stores"
)

// Identity is what a server's /identity reports.
type Identity struct {
	// Claimed is claimed="1": the server is linked to a plex.tv account.
	Claimed bool
	// MachineIdentifier is the server's ProcessedMachineIdentifier (not its
	// MachineIdentifier setting), the X-Plex-Client-Identifier plex.tv knows it by.
	MachineIdentifier string
	Version           string
}

// parseIdentity reads <MediaContainer claimed="0|1" machineIdentifier=".." version="..">.
func parseIdentity(body []byte) (Identity, error) {
	var doc struct {
		XMLName           xml.Name
		Claimed           *string `xml:"claimed,attr"`
		MachineIdentifier string  `xml:"machineIdentifier,attr"`
		Version           string  `xml:"version,attr"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		return Identity{}, xmlError(err)
	}
	if doc.XMLName.Local != "MediaContainer" {
		return Identity{}, fmt.Errorf("the root element is <%.40s>, not <MediaContainer>: %w", doc.XMLName.Local, stores.ErrMalformed)
	}
	if doc.Claimed == nil {
		return Identity{}, fmt.Errorf("<MediaContainer> has no claimed attribute: %w", stores.ErrMalformed)
	}
	id := Identity{MachineIdentifier: doc.MachineIdentifier, Version: doc.Version}
	switch *doc.Claimed {
	case "1":
		id.Claimed = true
	case "0":
	default:
		return Identity{}, fmt.Errorf("claimed=%.20q, want \"0\" or \"1\": %w", *doc.Claimed, stores.ErrMalformed)
	}
	return id, nil
}

// parseAuthToken finds the server's auth token in plex.tv's claim exchange answer:
// the text of <authentication-token> (what the Docker images' sed picks out), or else
// the authenticationToken or authToken attribute of the root <user> element, as other
// plex.tv v1 user answers carry it. Nothing of the body reaches an error: it may hold
// the token.
func parseAuthToken(body []byte) (string, error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	var fromAttr, fromElement string
	inElement, found, depth := false, false, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", xmlError(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 && t.Name.Local == "user" {
				for _, a := range t.Attr {
					if a.Name.Local == "authenticationToken" || (a.Name.Local == "authToken" && fromAttr == "") {
						fromAttr = a.Value
					}
				}
			}
			if t.Name.Local == "authentication-token" && !found {
				inElement, found = true, true
			}
		case xml.EndElement:
			depth--
			inElement = false
		case xml.CharData:
			if inElement {
				fromElement += string(t)
			}
		}
	}
	token := strings.TrimSpace(fromElement)
	if !found {
		token = strings.TrimSpace(fromAttr)
	}
	if token == "" {
		return "", fmt.Errorf("the answer has no <authentication-token> (nor a <user authenticationToken=...>): %w", stores.ErrMalformed)
	}
	if err := checkToken(token); err != nil {
		return "", err
	}
	return token, nil
}

// notTokenRune is what no token holds. Nothing else is assumed of a token: plex.tv hands
// out 20-character legacy tokens and JWTs (three base64url parts, of any length; one with
// scopes runs past 512 characters), and a JWT is never judged by its exp either, since
// plex.tv refreshes one even after it expired. What bounds a token is the answer it came
// in (maxBody bytes).
func notTokenRune(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || r == unicode.ReplacementChar
}

// xmlError keeps only the line of a syntax error: encoding/xml quotes element names and
// entities from the body in its messages, and a body may carry a token.
func xmlError(err error) error {
	var syntax *xml.SyntaxError
	if errors.As(err, &syntax) {
		return fmt.Errorf("the answer is not well-formed XML (line %d): %w", syntax.Line, stores.ErrMalformed)
	}
	return fmt.Errorf("the answer is not XML of the expected shape: %w", stores.ErrMalformed)
}
