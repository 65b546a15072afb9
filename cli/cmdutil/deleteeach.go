package cmdutil

import (
	"errors"
	"fmt"

	"github.com/gofluvio/fluvio/cli/iostreams"
)

// DeleteEach deletes each of names with del, as Fluvio's delete verbs do:
// "<kind> "name" deleted" on stdout for each one; on the first failure it
// stops, unless continueOnError, in which case it reports the failure on
// stderr ("<failKind> "name" delete failed with: ...") and goes on, then
// fails with how many of the names (plural) were not deleted.
func DeleteEach(io *iostreams.IOStreams, names []string, kind, failKind, plural string, continueOnError bool, del func(name string) error) error {
	var errs []error
	for _, n := range names {
		if err := del(n); err != nil {
			if !continueOnError {
				return err
			}
			io.Printf("%s %q delete failed with: %v\n", failKind, n, err)
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(io.Out, "%s %q deleted\n", kind, n)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d of %d %s were not deleted: %w", len(errs), len(names), plural, errors.Join(errs...))
	}
	return nil
}
