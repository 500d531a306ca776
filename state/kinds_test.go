package state

// The backups these tests make are named by their store kind's extension, which package
// kinds registers.
import _ "github.com/plexform/plexform/kinds"
