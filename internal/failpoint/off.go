//go:build !failpoints

package failpoint

// Inject marks a fault boundary; without the failpoints build tag it does
// nothing and costs nothing.
func Inject(name string) {}

// Enabled reports whether this build honours failpoints.
const Enabled = false
