package signin

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/plexform/plexform/internal/plextv"
	"github.com/plexform/plexform/internal/testtool"
)

// A token is opaque: a JWT of 1,500 characters whose exp is long past (plex.tv refreshes
// a JWT even after it expired, so only plex.tv may judge it) is taken from every answer
// that carries one and sent to plex.tv as it is.
func TestJWTTokensAreOpaque(t *testing.T) {
	jwt := testtool.PlexJWT(1500, time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC), "claim-test")
	if got, err := parseAuthToken([]byte(`<user><authentication-token>` + jwt + `</authentication-token></user>`)); err != nil || got != jwt {
		t.Errorf("the claim exchange's answer with a JWT: err %v, token kept whole: %v", err, got == jwt)
	}
	if got, err := parseAuthToken([]byte(`<user authenticationToken="` + jwt + `"/>`)); err != nil || got != jwt {
		t.Errorf("a <user authenticationToken=JWT>: err %v, token kept whole: %v", err, got == jwt)
	}
	_, got, err := parsePin([]byte(`{"id":7,"code":"ABCD","authToken":"`+jwt+`"}`), time.Now())
	if err != nil || got != jwt {
		t.Errorf("a PIN answer with a JWT: err %v, token kept whole: %v", err, got == jwt)
	}

	tv := plextv.New()
	server := ServerIdentity{ClientIdentifier: "server-machine-id"}
	tv.Honour(tv.AddAccount("jane", "jane@example.com"), jwt, plextv.Device{ClientIdentifier: server.ClientIdentifier, Product: serverProduct, Provides: "server"})
	srv := httptest.NewServer(tv)
	t.Cleanup(srv.Close)
	p := &PlexTV{BaseURL: srv.URL, ClientIdentifier: "test-client"}
	if err := p.CheckToken(context.Background(), jwt, server); err != nil {
		t.Errorf("plex.tv honours the JWT, CheckToken says %v", err)
	}
	if owner, err := p.WhoIs(context.Background(), jwt); err != nil || !owner.Same(Owner{Username: "jane"}) {
		t.Errorf("WhoIs with the JWT: %v", err)
	}
}

// The claim exchange's whole round trip hands back a JWT as it came, over HTTP.
func TestExchangeReturnsAJWT(t *testing.T) {
	jwt := testtool.PlexJWT(1500, time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC), "exchange")
	_, base := startPlexTV(t, http.StatusCreated, strings.ReplaceAll(exchangeAnswer, authToken, jwt), dockerHeaders("nas"))
	got, err := linuxExchange(base).Token(context.Background(), goodToken)
	if err != nil || got != jwt {
		t.Fatalf("Token: %v, the JWT kept whole: %v", err, got == jwt)
	}
}
