// Package suggest finds the word someone most likely meant: the "did you mean" of plan
// files (a misspelt kind, field or value name) and of the command line (a misspelt
// command or flag).
package suggest

// Closest returns the word of known nearest to word, at most maxEdits edits away (see
// Distance), or "" when none is that near. On a tie the earlier word of known wins.
func Closest(word string, known []string, maxEdits int) string {
	best, bestDist := "", maxEdits+1
	for _, k := range known {
		if d := Distance(word, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// Distance is the Levenshtein distance, with a swap of two neighbours counting as one
// edit (the commonest typo: "absnet").
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
