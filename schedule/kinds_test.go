package schedule

// Plans in these tests name the kinds package kinds registers.
import _ "github.com/plexform/plexform/kinds"
