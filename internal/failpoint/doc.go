// Package failpoint marks the boundaries where a crash or a stall would do
// the most harm, so the chaos tests can make one happen exactly there.
//
// A call site is one line, failpoint.Inject("name"), at a boundary such as
// "after the commit, before the verdict is sent". In a normal build Inject
// is an empty function the compiler inlines away: no cost, no behaviour,
// nothing read from the environment. Built with -tags failpoints, Inject
// looks its name up in FLOORGATE_FAILPOINTS, read once at start-up:
//
//	FLOORGATE_FAILPOINTS=name=action[,name=action…]
//
// where action is one of
//
//	panic       panic right there
//	exit        os.Exit(1) right there: no deferred function runs, as in a crash
//	kill        SIGKILL the process itself
//	sleep(ms)   stall this goroutine for ms milliseconds
//
// optionally prefixed by "N*" to fire on the Nth hit only (earlier and
// later hits pass). Before firing, Inject writes "failpoint NAME fired" to
// stderr so a test can tell the fault really happened.
//
// Modelled on etcd's gofail and bbolt's failpoints, without code
// generation. It must not be used for anything but fault injection: a
// call site never changes what a normal build does.
package failpoint
