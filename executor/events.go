package executor

import (
	"time"

	"github.com/plexform/plexform/plex/signin"
)

// Event types, as the JSON event lines spell them.
const (
	EventStopping  = "stopping"
	EventStopped   = "stopped"
	EventStarting  = "starting"
	EventStarted   = "started"
	EventBackedUp  = "backed_up"
	EventWritten   = "written"
	EventVerified  = "verified"
	EventRollback  = "rollback"
	EventRestored  = "restored"
	EventWarning   = "warning"
	EventExchanged = "exchanged"
	// What plex_claim and plex_signin report while they act (plex/signin).
	EventClaiming = signin.EventClaiming
	EventClaimed  = signin.EventClaimed
	// EventLinkCode carries the code to enter at plex.tv/link; the code is not a secret.
	EventLinkCode = signin.EventLinkCode
	EventLinked   = signin.EventLinked
	EventRelinked = signin.EventRelinked
)

// Event is one step of an apply, for progress output. It never holds a value.
type Event struct {
	Time      time.Time `json:"time"`
	Type      string    `json:"type"`
	Resource  string    `json:"resource,omitempty"`
	Message   string    `json:"message"`
	ElapsedMs int64     `json:"elapsed_ms,omitempty"`
	Backup    string    `json:"backup,omitempty"`
}

// Observer is told what an apply does while it does it.
type Observer interface {
	Event(Event)
	// Waiting is called while a service is being stopped or started (verb "Stopping"
	// or "Starting"), so a terminal can show a live line.
	Waiting(resource, verb string, elapsed time.Duration)
}

type nopObserver struct{}

func (nopObserver) Event(Event)                           {}
func (nopObserver) Waiting(string, string, time.Duration) {}

// warn reports a line and an error as warnings, each when there is one.
func warn(obs Observer, line string, err error) {
	if line != "" {
		obs.Event(Event{Type: EventWarning, Message: line})
	}
	if err != nil {
		obs.Event(Event{Type: EventWarning, Message: err.Error()})
	}
}
