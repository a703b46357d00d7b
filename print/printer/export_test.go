package printer

// OpenPollFile exposes the goroutine-free fallback of OpenUSBLP so it can be
// tested on a device the runtime poller does support.
func OpenPollFile(path string) (Conn, error) { return openPollFile(path) }

// WithDefaultPort exposes withDefaultPort to the tests.
var WithDefaultPort = withDefaultPort

// ParseHQES exposes parseHQES to the tests.
func ParseHQES(reply []byte) (State, bool) {
	var st State
	ok := parseHQES(reply, &st)
	return st, ok
}
