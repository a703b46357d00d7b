package broker

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

const (
	// DefaultListen is used when Options.Listen is empty: loopback only.
	DefaultListen = "127.0.0.1:1883"

	// DefaultMaxMessageBytes is used when Options.MaxMessageBytes is 0.
	DefaultMaxMessageBytes = 256 << 10

	// MaxMessageBytesLimit is the largest Options.MaxMessageBytes Start
	// accepts: nats-server warns about anything bigger, and events and
	// commands are a few KiB.
	MaxMessageBytesLimit = 8 << 20
)

const (
	// serverName names the NATS server. MQTT needs one, and JetStream names
	// its retained-message consumer after it, so it must not change between
	// starts on one StoreDir.
	serverName = "floorgate-broker"

	// anonymousName is the NATS user that clients without credentials
	// become when AllowAnonymous is set (nats-server's no_auth_user). Its
	// password is random, so nobody can log in as it, and in plain text,
	// because nats-server checks the no-auth user's password against itself
	// (so it also logs its "Plaintext passwords detected" warning).
	anonymousName = "floorgate-anonymous"

	// natsHeader is what nats-server wraps around a QoS 0 or 1 MQTT payload
	// before checking it against its max_payload (mqttComputeNatsMsgSize in
	// server/mqtt.go). Start adds it to MaxMessageBytes so that the limit is
	// on the payload, as the MQTT client sees it;
	// TestMessageSizeLimit pins the boundary.
	natsHeader = len("NATS/1.0\r\nNmqtt-Pub:1\r\n\r\n")

	// startTimeout bounds the wait for nats-server to be ready after Start,
	// which on a healthy box takes milliseconds.
	startTimeout = 10 * time.Second
)

// Options configure the embedded broker. The zero value listens on
// DefaultListen but lets nobody in, and Start refuses it: give it Users, or
// AllowAnonymous for a development box.
type Options struct {
	// Listen is the MQTT listener's TCP address, an IP address or
	// "localhost" and a port, e.g. "127.0.0.1:1883" (DefaultListen when
	// empty). Port 0 picks a free port; see Broker.Addr. An address that is
	// not loopback (a host name other than localhost counts as not
	// loopback) opens the broker to the network: Start then requires Users
	// and TLS and refuses AllowAnonymous.
	Listen string

	// TLS, when set, makes the listener speak only TLS, and Broker.URL
	// returns an ssl:// URL. It needs a certificate (Certificates or
	// GetCertificate). Setting ClientAuth and ClientCAs also requires
	// client certificates, on top of the user's password.
	TLS *tls.Config

	// Users are the accounts clients log in with: the user name and
	// password of CONNECT. Names must be unique. A client that sends an
	// unknown name or a wrong password is refused with CONNACK return code
	// 5 (not authorised).
	Users []User

	// AllowAnonymous lets a client that sends no user name (and no
	// password) in, with Anonymous's permissions. Without it such a client
	// is refused with CONNACK return code 5 (not authorised). Start refuses
	// it unless Listen is a loopback address.
	AllowAnonymous bool

	// Anonymous holds what an anonymous client may publish and subscribe to
	// when AllowAnonymous is set: its Publish and Subscribe, at least one of
	// them not empty (e.g. "floorgate/#" for both, on a development box).
	// Its Name and Password must be empty.
	Anonymous User

	// StoreDir is the directory where JetStream keeps the broker's state,
	// created (mode 0700) if missing, so that it survives a restart of the
	// gateway: the sessions of clean-session-false clients with their
	// subscriptions, the QoS 1 messages queued for those sessions or not
	// yet acknowledged by their subscribers, and retained messages. The
	// files live under StoreDir/jetstream/ (one directory per NATS stream:
	// $MQTT_sess, $MQTT_msgs, $MQTT_rmsgs, $MQTT_qos2in, $MQTT_out), and
	// StoreDir/broker.lock keeps a second broker out while one runs.
	// JetStream writes each message to the file at once, so a crash of the
	// process loses nothing, but fsyncs only every two minutes: a power cut
	// can lose what arrived in the last two. Sessions, queued and retained
	// messages are dropped when the whole directory is.
	//
	// After a restart nats-server reads the retained messages back in the
	// background, starting at the first CONNECT; a subscription made
	// before it is done misses them (see the package doc). Sessions and
	// queued messages have no such gap.
	//
	// When StoreDir is empty, Start makes a private temporary directory
	// and Close removes it: nothing then survives Close.
	StoreDir string

	// MaxMessageBytes caps the payload of a PUBLISH (0 means
	// DefaultMaxMessageBytes; at most MaxMessageBytesLimit). A client that
	// publishes a bigger payload is disconnected without a PUBACK — MQTT
	// 3.1.1 has no way to refuse a single message — and its will, if any,
	// is published. A QoS 1 publisher that reconnects sends the same
	// message again and is disconnected again, so the limit must be at
	// least what publishers send (mqtt.max_message_bytes on gateways).
	MaxMessageBytes int

	// Leaf, when set, joins the broker to a central NATS cluster as a
	// leaf node (see Leaf). The server is then named after Leaf.Domain
	// instead of serverName, and InProcessConn is open.
	Leaf *Leaf

	// Logger receives the broker's logs; nil discards them. Start and
	// Close log at Info; nats-server's own warnings and errors (a client's
	// wrong password, a permission violation, an oversized message) keep
	// their level, and its notices go to Debug.
	Logger *slog.Logger
}

// User is one account on the broker and what its clients may do.
//
// Publish and Subscribe are MQTT topic filters, such as
// "floorgate/v1/SZ-01/+/commands" or "floorgate/v1/SZ-01/gw-1/#", with
// MQTT's wildcards ("+" one level, "#" the rest, including the level above:
// "a/#" covers "a"). A level may contain dots ("floorgate/v1/SZ.01/gw.1/#").
// A filter's first level must be literal and must not start with "$" — a
// wildcard there would also cover nats-server's own "$…" subjects, and "$"
// topics belong to the broker — and no filter may contain "*" or ">", which
// nats-server would take for NATS wildcards. Start refuses any other filter.
//
// A publish to a topic outside Publish is dropped, not delivered to anyone
// and, if retained, not retained; the client still gets its PUBACK and stays
// connected, because MQTT 3.1.1 has no negative acknowledgement, and the
// broker logs "Publish Violation" at Error. A will on a topic outside Publish
// is dropped the same way. A SUBSCRIBE to a filter that Subscribe does not
// cover gets return code 0x80 (failure) in the SUBACK and delivers nothing;
// a subscription is covered only if one of the user's filters matches every
// topic it could match, so a user with "floorgate/v1/SZ-01/+/events" may
// subscribe to "floorgate/v1/SZ-01/gw-1/events" but not to "#" nor
// "floorgate/v1/+/+/events". An empty list allows nothing.
type User struct {
	// Name is the MQTT user name.
	Name string
	// Password is the password in plain text, or its bcrypt hash ("$2a$",
	// "$2b$" or "$2y$" followed by the cost, e.g. from htpasswd -nbBC 11).
	// A plain password that looks like a bcrypt hash is taken for one.
	Password string
	// Publish lists the topic filters the user may publish to.
	Publish []string
	// Subscribe lists the topic filters the user may subscribe to.
	Subscribe []string
}

// Broker is a running embedded broker.
type Broker struct {
	srv     *server.Server
	log     *slog.Logger
	addr    string
	url     string
	lock    *os.File
	tempDir string // removed by Close; "" when StoreDir was given

	leaf      *Leaf        // nil without a leaf link
	internal  *server.User // InProcessConn's user, with a leaf link
	leafMu    sync.Mutex
	leafUp    bool
	leafSince time.Time
	stopWatch chan struct{}
	watchDone chan struct{}
	nlog      *natsLog

	closeOnce sync.Once
	closeErr  error
}

// Start checks opts, listens on opts.Listen and serves MQTT. It returns once
// the listening socket is bound, so clients can connect as soon as it
// returns. JetStream creates the MQTT streams in StoreDir on the first
// CONNECT, which therefore takes a little longer than the others.
func Start(opts Options) (*Broker, error) {
	b, err := start(opts)
	if err != nil {
		return nil, fmt.Errorf("start mqtt broker: %w", err)
	}
	return b, nil
}

func start(opts Options) (*Broker, error) {
	nopts, host, err := natsOptions(opts)
	if err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Broker{log: log, leaf: opts.Leaf}
	ok := false
	defer func() {
		if !ok {
			_ = b.release()
		}
	}()

	dir := opts.StoreDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "floorgate-broker-"); err != nil {
			return nil, err
		}
		b.tempDir = dir
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store dir: %w", err)
	}
	if b.lock, err = lockDir(dir); err != nil {
		return nil, err
	}
	nopts.StoreDir = dir

	srv, err := server.NewServer(nopts)
	if err != nil {
		return nil, err
	}
	nlog := &natsLog{log: log}
	srv.SetLoggerV2(nlog, log.Enabled(context.Background(), slog.LevelDebug), false, false)
	b.nlog = nlog
	srv.Start()
	b.srv = srv
	if err := nlog.err(); err != nil {
		return nil, err
	}
	if !srv.ReadyForConnections(startTimeout) {
		return nil, fmt.Errorf("nats-server not ready within %v", startTimeout)
	}
	// nats-server resolves port 0 when it binds; Varz reports the result.
	vz, err := srv.Varz(nil)
	if err != nil {
		return nil, err
	}
	b.addr = net.JoinHostPort(host, strconv.Itoa(vz.MQTT.Port))
	b.url = clientURL(host, vz.MQTT.Port, opts.TLS != nil)
	if opts.Leaf != nil {
		for _, u := range nopts.Users {
			if u.Username == internalName {
				b.internal = u
			}
		}
		b.stopWatch, b.watchDone = make(chan struct{}), make(chan struct{})
		go b.watchLeaf()
	}
	ok = true
	log.Info("mqtt broker listening", "addr", b.addr, "tls", opts.TLS != nil,
		"users", len(opts.Users), "anonymous", opts.AllowAnonymous, "store_dir", dir)
	return b, nil
}

// natsOptions checks opts and turns them into nats-server's options, all but
// the store directory. It also returns the listener's host.
func natsOptions(opts Options) (*server.Options, string, error) {
	maxBytes := opts.MaxMessageBytes
	if maxBytes == 0 {
		maxBytes = DefaultMaxMessageBytes
	}
	if maxBytes < 0 || maxBytes > MaxMessageBytesLimit {
		return nil, "", fmt.Errorf("MaxMessageBytes %d out of range (0 to %d)", opts.MaxMessageBytes, MaxMessageBytesLimit)
	}

	listen := opts.Listen
	if listen == "" {
		listen = DefaultListen
	}
	host, portStr, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, "", fmt.Errorf("Listen %q: %w", listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, "", fmt.Errorf("Listen %q: port must be a number from 0 to 65535", listen)
	}
	if port == 0 {
		port = server.RANDOM_PORT // nats-server's 0 turns the listener off
	}
	if !isLoopback(host) {
		switch {
		case opts.AllowAnonymous:
			return nil, "", fmt.Errorf("Listen %q: %w", listen, ErrAnonymousNotLoopback)
		case len(opts.Users) == 0:
			return nil, "", fmt.Errorf("Listen %q: %w", listen, ErrNoUsersNotLoopback)
		case opts.TLS == nil:
			return nil, "", fmt.Errorf("Listen %q: %w", listen, ErrNoTLSNotLoopback)
		}
	}
	if t := opts.TLS; t != nil && len(t.Certificates) == 0 && t.GetCertificate == nil && t.GetConfigForClient == nil {
		return nil, "", errors.New("TLS has no certificate")
	}

	users, noAuthUser, err := natsUsers(opts)
	if err != nil {
		return nil, "", err
	}

	nopts := &server.Options{
		ServerName: serverName,
		// No NATS client listener, no signal handlers: the gateway owns
		// the process.
		DontListen: true,
		NoSigs:     true,
		JetStream:  true,
		MaxPayload: int32(maxBytes + natsHeader),
		Users:      users,
		NoAuthUser: noAuthUser,
		MQTT: server.MQTTOpts{
			Host: host,
			Port: port,
		},
	}
	if opts.TLS != nil {
		nopts.MQTT.TLSConfig = opts.TLS.Clone()
	}
	if l := opts.Leaf; l != nil {
		if err := l.Check(); err != nil {
			return nil, "", err
		}
		remote := l.remote()
		internal, err := internalUser()
		if err != nil {
			return nil, "", err
		}
		// A JetStream server name must be unique in the whole system the
		// leaf joins.
		nopts.ServerName = "floorgate-" + l.Domain
		nopts.JetStreamDomain = l.Domain
		nopts.LeafNode.Remotes = []*server.RemoteLeafOpts{remote}
		nopts.LeafNode.ReconnectInterval = time.Second
		nopts.Users = append(nopts.Users, internal)
	}
	return nopts, host, nil
}

// natsUsers returns opts' users, and the anonymous one if allowed, as NATS
// users of the global account, which is the only one the broker has.
func natsUsers(opts Options) ([]*server.User, string, error) {
	if len(opts.Users) == 0 && !opts.AllowAnonymous {
		return nil, "", errors.New("Users is empty and AllowAnonymous is false: no client could connect")
	}
	// Only MQTT clients exist here; saying so keeps these users out of any
	// other kind of connection a later change might open.
	mqttOnly := map[string]struct{}{"MQTT": {}}
	names := map[string]bool{}
	var users []*server.User
	for i, u := range opts.Users {
		switch {
		case u.Name == "":
			return nil, "", fmt.Errorf("Users[%d]: empty Name", i)
		case u.Name == anonymousName:
			return nil, "", fmt.Errorf("Users[%d]: Name %q is reserved", i, u.Name)
		case names[u.Name]:
			return nil, "", fmt.Errorf("Users[%d]: Name %q appears twice", i, u.Name)
		case u.Password == "":
			return nil, "", fmt.Errorf("Users[%d] %q: empty Password", i, u.Name)
		}
		names[u.Name] = true
		perms, err := permissions(u)
		if err != nil {
			return nil, "", fmt.Errorf("Users[%d] %q: %w", i, u.Name, err)
		}
		users = append(users, &server.User{Username: u.Name, Password: u.Password, Permissions: perms, AllowedConnectionTypes: mqttOnly})
	}
	if !opts.AllowAnonymous {
		return users, "", nil
	}
	a := opts.Anonymous
	switch {
	case a.Name != "" || a.Password != "":
		return nil, "", errors.New("Anonymous: Name and Password must be empty")
	case len(a.Publish) == 0 && len(a.Subscribe) == 0:
		return nil, "", errors.New("AllowAnonymous is set but Anonymous allows nothing: give it Publish or Subscribe filters")
	}
	perms, err := permissions(a)
	if err != nil {
		return nil, "", fmt.Errorf("Anonymous: %w", err)
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, "", err
	}
	users = append(users, &server.User{Username: anonymousName, Password: hex.EncodeToString(secret), Permissions: perms, AllowedConnectionTypes: mqttOnly})
	return users, anonymousName, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// clientURL is the URL a client on this machine uses: the listener's host,
// or loopback when it listens on every interface.
func clientURL(host string, port int, tls bool) string {
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	scheme := "tcp"
	if tls {
		scheme = "ssl"
	}
	return scheme + "://" + net.JoinHostPort(host, strconv.Itoa(port))
}

// lockDir takes an exclusive flock on dir/broker.lock. flock locks belong to
// the open file, so a second broker in the same process is kept out too.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "broker.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store dir: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w", dir, ErrStoreDirInUse)
		}
		return nil, fmt.Errorf("store dir: lock: %w", err)
	}
	return f, nil
}

// Addr returns the host:port the broker listens on, with the real port when
// Options.Listen asked for port 0.
func (b *Broker) Addr() string { return b.addr }

// URL returns the broker's address as an MQTT client URL for a client on this
// machine: "tcp://host:port", or "ssl://host:port" with Options.TLS, with
// 127.0.0.1 for the host when the broker listens on every interface.
func (b *Broker) URL() string { return b.url }

// Close disconnects every client, stops listening and shuts JetStream down,
// its files flushed and closed. It returns once nats-server's Shutdown has
// waited for the goroutines of connections, the listener and JetStream: the
// port is free then. (A few internal loops, which hold no port or file,
// nats-server leaves to return on their own a moment later.) Sessions,
// queued and retained messages stay in Options.StoreDir for the next Start;
// a temporary store is removed. Calling Close again does nothing.
func (b *Broker) Close() error {
	b.closeOnce.Do(func() {
		b.closeErr = b.release()
		if b.closeErr == nil {
			b.log.Info("mqtt broker closed", "addr", b.addr)
		}
	})
	return b.closeErr
}

// release stops whatever Start got running, in reverse order.
func (b *Broker) release() error {
	if b.stopWatch != nil {
		close(b.stopWatch)
		<-b.watchDone
	}
	if b.srv != nil {
		b.srv.Shutdown()
		b.srv.WaitForShutdown()
	}
	var errs []error
	if b.lock != nil {
		errs = append(errs, b.lock.Close())
	}
	if b.tempDir != "" {
		errs = append(errs, os.RemoveAll(b.tempDir))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close mqtt broker: %w", err)
	}
	return nil
}
