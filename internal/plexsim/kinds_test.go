package plexsim

// The demo host's plan names kinds package kinds registers.
import _ "github.com/plexform/plexform/kinds"
