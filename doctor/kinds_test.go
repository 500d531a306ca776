package doctor

// The stores doctor reads are opened by their kinds (host.StoreAt), which package kinds
// registers.
import _ "github.com/plexform/plexform/kinds"
