package plan

// What the external tests (package plan_test, which import the kinds) check inside.
var (
	ClimbsAboveRoot = climbsAboveRoot
	SyntaxErrorPos  = syntaxErrorPos
	NearMiss        = nearMiss
	MaxSyntaxSearch = maxSyntaxSearch
)
