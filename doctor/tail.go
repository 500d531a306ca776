package doctor

import "github.com/plexform/plexform/stores/fileutil"

// tailLines returns the last n lines of the log at path, read as every log plexform
// reads is (fileutil.Root.ReadTail): no FIFO, no symlink of another user's, at most its
// last LogWindow bytes.
func tailLines(root fileutil.Root, path string, n int) ([]string, error) {
	t, err := root.ReadTail(path, 0)
	if err != nil {
		return nil, err
	}
	return t.Lines[max(0, len(t.Lines)-n):], nil
}
