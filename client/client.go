// Package client is the one Go client of a floorgate gateway's HTTP API:
// over the local administration socket (the command line's way in, which
// the socket's file permissions authorise) or over the network with an API
// token, trusting the gateway's certificate by its pinned fingerprint or
// the system's roots.
//
// Every command, doctor and the tests use it; nothing else in floorgate
// builds an http.Client for the gateway. It must not import the daemon's
// packages (gateway, store, web): a client knows the API, not the server.
package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"github.com/floorgate/floorgate"
)

// localHost is the host name of requests over the local socket; the
// socket, not the name, decides where they go.
const localHost = "floorgate.local"

// Client talks to one gateway.
type Client struct {
	base  string
	token string
	hc    *http.Client
	// stream is hc without an overall timeout, for backups and event
	// streams that take as long as they take.
	stream *http.Client
	// csrf is the signed-in session's token, sent with every request.
	csrf string
}

// Local is a client of the gateway whose local socket is at path.
func Local(path string) *Client {
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}
	tr := &http.Transport{DialContext: dial, MaxIdleConns: 4, IdleConnTimeout: 30 * time.Second}
	return &Client{base: "http://" + localHost, hc: &http.Client{Transport: tr, Timeout: time.Minute},
		stream: &http.Client{Transport: tr}}
}

// Options say how a Remote client reaches and proves itself to a gateway.
type Options struct {
	// Fingerprint pins the gateway's certificate (its SHA-256, as the
	// gateway prints it): how a client trusts a self-signed certificate.
	// Empty: the system's roots.
	Fingerprint string
	// Token is an API token, sent as Authorization: Bearer.
	Token string
	// LocalAddr is the local IP address to connect from, on a machine
	// with several.
	LocalAddr string
}

// Remote is a client of the gateway at base (https://host:port). It signs
// in with an API token (Options.Token), or as a person with SignIn.
func Remote(base string, o Options) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("gateway address %q: want https://host:port", base)
	}
	d := &net.Dialer{Timeout: 30 * time.Second}
	if o.LocalAddr != "" {
		ip := net.ParseIP(o.LocalAddr)
		if ip == nil {
			return nil, fmt.Errorf("local address %q is not an IP address", o.LocalAddr)
		}
		d.LocalAddr = &net.TCPAddr{IP: ip}
	}
	tr := &http.Transport{Proxy: http.ProxyFromEnvironment, DialContext: d.DialContext}
	if o.Fingerprint != "" {
		if tr.TLSClientConfig, err = PinnedTLS(o.Fingerprint); err != nil {
			return nil, err
		}
	}
	jar, _ := cookiejar.New(nil) // never fails without options
	return &Client{base: strings.TrimSuffix(u.String(), "/"), token: o.Token,
		hc:     &http.Client{Transport: tr, Timeout: time.Minute, Jar: jar},
		stream: &http.Client{Transport: tr, Jar: jar}}, nil
}

// Session is a person signed in on the status page.
type Session struct {
	Operator struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		Role string `json:"role"`
	} `json:"operator"`
	CSRF    string    `json:"csrf"`
	Expires time.Time `json:"expires"`
}

// SignIn signs a person in with badge and PIN (admins and supervisors);
// the client then sends the session's cookie and CSRF token with every
// request.
func (c *Client) SignIn(ctx context.Context, badge, pin string) (Session, error) {
	var s Session
	if err := c.Post(ctx, "/api/v1/session", map[string]string{"badge": badge, "pin": pin}, &s); err != nil {
		return s, fmt.Errorf("sign in: %w", err)
	}
	c.csrf = s.CSRF
	return s, nil
}

// PinnedTLS trusts exactly the certificate with this fingerprint (SHA-256,
// as the gateway prints it): how a client on the floor talks to a
// gateway's self-signed certificate.
func PinnedTLS(fingerprint string) (*tls.Config, error) {
	want := floorgate.NormalFingerprint(fingerprint)
	if want == "" {
		return nil, fmt.Errorf("fingerprint %q: want the SHA-256 the gateway prints (32 hex bytes, colons optional)", fingerprint)
	}
	return &tls.Config{
		InsecureSkipVerify: true, // replaced by the pin below
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 || floorgate.Fingerprint(raw[0]) != want {
				return errors.New("tls: the gateway's certificate does not have the expected fingerprint")
			}
			return nil
		},
	}, nil
}

// Error is a refusal from the gateway: the HTTP status and the API's code
// and message.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("gateway answered %d: %s", e.Status, e.Message)
	}
	return fmt.Sprintf("%s (%s)", e.Message, e.Code)
}

// request builds a request for path (which starts with /).
func (c *Client) request(ctx context.Context, method, path string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	return req, nil
}

// Raw sends a request as it is given, with the client's credentials unless
// header sets them itself (a header set to "" is sent empty), and returns
// the response for the caller to read and close: for tools and tests that
// need statuses and headers the typed calls keep to themselves.
func (c *Client) Raw(ctx context.Context, method, path string, body io.Reader, header http.Header) (*http.Response, error) {
	req, err := c.request(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	if body == nil || header.Get("Content-Type") != "" {
		req.Header.Del("Content-Type")
	}
	for k, v := range header {
		req.Header[http.CanonicalHeaderKey(k)] = v
	}
	return c.stream.Do(req)
}

// Do sends body (JSON-encoded, or raw when it is a []byte; none when nil)
// and decodes the JSON answer into reply (unless nil). A refusal is an
// *Error.
func (c *Client) Do(ctx context.Context, method, path string, body, reply any) error {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := c.request(ctx, method, path, rd)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if err := check(resp); err != nil {
		return err
	}
	if reply == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(reply); err != nil {
		return fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	return nil
}

// check turns a refusal into an *Error.
func check(resp *http.Response) error {
	if resp.StatusCode < 300 {
		return nil
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var body struct {
		Code  string `json:"code"`
		Error string `json:"error"`
	}
	if json.Unmarshal(raw, &body) != nil || body.Error == "" {
		body.Error = strings.TrimSpace(string(raw))
	}
	return &Error{Status: resp.StatusCode, Code: body.Code, Message: body.Error}
}

// Get decodes GET path into reply.
func (c *Client) Get(ctx context.Context, path string, reply any) error {
	return c.Do(ctx, http.MethodGet, path, nil, reply)
}

// Post sends body to path and decodes the answer into reply.
func (c *Client) Post(ctx context.Context, path string, body, reply any) error {
	return c.Do(ctx, http.MethodPost, path, body, reply)
}

// Backup streams a consistent copy of the gateway's database into w and
// returns its size. A copy cut short is an error, never a short file that
// looks whole.
func (c *Client) Backup(ctx context.Context, w io.Writer) (int64, error) {
	req, err := c.request(ctx, http.MethodGet, "/api/v1/backup", nil)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	resp, err := c.stream.Do(req)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	defer resp.Body.Close()
	if err := check(resp); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("backup: cut short after %d bytes: %w", n, err)
	}
	if want := resp.Trailer.Get(floorgate.BackupBytesTrailer); want != fmt.Sprint(n) {
		return n, fmt.Errorf("backup: got %d bytes, the gateway sent %q", n, want)
	}
	return n, nil
}

// Unwrap lets floorgate.ErrorCode and ErrorMessage read the API's code.
func (e *Error) Unwrap() error {
	if e.Code == "" {
		return nil
	}
	return &floorgate.Error{Code: e.Code, Message: e.Message}
}
