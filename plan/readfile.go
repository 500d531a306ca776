package plan

import (
	"fmt"
	"io"

	"github.com/plexform/plexform/stores/fileutil"
)

// MaxFileBytes bounds a plan file or a saved plan read from disk (16 MiB): a plan is a
// few kilobytes and a saved plan of 10,000 stores a few megabytes.
const MaxFileBytes = 16 << 20

// ReadFile reads a plan file or a saved plan. It is opened non-blocking and only as a
// regular file (fileutil.OpenRegular), so a FIFO or a device named with -f is an error,
// not a hang; a symlink another user planted is not followed; and at most MaxFileBytes
// are read. A missing file is an error that errors.Is fs.ErrNotExist.
func ReadFile(path string) ([]byte, error) {
	f, err := fileutil.OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%s is more than %d bytes (16 MiB); a plan file is a few kilobytes, so this is not one", path, MaxFileBytes)
	}
	return data, nil
}
