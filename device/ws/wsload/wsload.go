// Package wsload is an outside client of the PDA protocol v1, written from
// docs/pda-protocol.md alone, for floorgate-bench peer's load generator.
//
// It must not share code with the gateway or with wsclient: the load
// generator drives floorgate and a Node-RED flow alike, so it may rely on
// nothing but the documented frames (a shared decoder would hide a gap
// between the documentation and the gateway). It keeps no floor state, does
// not reconnect and does not resend; one request is in flight at a time.
// It lives under device/ because gorilla/websocket does.
package wsload

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// Prompt is what the picker must do now (§6 of the protocol).
type Prompt struct {
	Step     string `json:"step"`
	Task     string `json:"task,omitempty"`
	Line     int    `json:"line,omitempty"`
	Lines    int    `json:"lines,omitempty"`
	Location string `json:"location,omitempty"`
	SKU      string `json:"sku,omitempty"`
	Qty      int    `json:"qty,omitempty"`
	Picked   int    `json:"picked,omitempty"`
}

// Frame is a server message: the fields of welcome, verdict, task, push,
// logged_out and error this client reads. Unknown fields are ignored, as
// the protocol asks.
type Frame struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	ScanID  string          `json:"scan_id,omitempty"`
	OK      bool            `json:"ok,omitempty"`
	Code    string          `json:"code,omitempty"`
	Kind    string          `json:"kind,omitempty"`
	Prompt  Prompt          `json:"prompt"`
	Message json.RawMessage `json:"message,omitempty"`
}

// answers reports whether f answers the request with id id.
func (f Frame) answers(id string) bool {
	switch f.Type {
	case "verdict":
		return f.ScanID == id
	case "task", "logged_out":
		return f.ID == id
	}
	return false
}

// Conn is one PDA's WebSocket.
type Conn struct {
	ws *websocket.Conn
}

// Dial connects to url (ws:// or wss://). For wss:// the server's leaf
// certificate must have the SHA-256 fingerprint fp (hex, colons and case
// ignored), the pinning §1 describes; names and dates are not checked.
func Dial(ctx context.Context, url, fp string) (*Conn, error) {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	if strings.HasPrefix(url, "wss://") {
		want, err := hex.DecodeString(strings.NewReplacer(":", "", " ", "").Replace(fp))
		if err != nil || len(want) != sha256.Size {
			return nil, fmt.Errorf("dial: fingerprint %q is not 32 bytes of hex", fp)
		}
		d.TLSClientConfig = &tls.Config{
			MinVersion:         tls.VersionTLS12,
			InsecureSkipVerify: true, // replaced by the pin below
			VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
				if len(raw) == 0 {
					return errors.New("no certificate")
				}
				got := sha256.Sum256(raw[0])
				if !bytes.Equal(got[:], want) {
					return fmt.Errorf("certificate fingerprint %X is not the pinned one", got)
				}
				return nil
			},
		}
	}
	ws, _, err := d.DialContext(ctx, url, nil)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	return &Conn{ws: ws}, nil
}

// Close closes the connection (close code 1000).
func (c *Conn) Close() error {
	c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	return c.ws.Close()
}

// Read returns the next frame from the server.
func (c *Conn) Read() (Frame, error) {
	var f Frame
	_, b, err := c.ws.ReadMessage()
	if err != nil {
		return f, fmt.Errorf("read: %w", err)
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("read: %w", err)
	}
	return f, nil
}

// Send writes one message as a text frame.
func (c *Conn) Send(msg any) error {
	b, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	return nil
}

// Hello sends the hello (§2) and returns the welcome.
func (c *Conn) Hello(device, token string) (Frame, error) {
	if err := c.Send(map[string]any{"type": "hello", "device": device, "token": token, "app": "floorgate-bench-loadgen", "protocol": 1}); err != nil {
		return Frame{}, err
	}
	f, err := c.Read()
	if err != nil {
		return f, fmt.Errorf("hello: %w", err)
	}
	if f.Type != "welcome" {
		return f, fmt.Errorf("hello: got %s %s, not a welcome", f.Type, f.Code)
	}
	return f, nil
}

// Request sends msg, whose id (id or scan_id) is id, and returns the frame
// that answers it. Pushes and anything else that arrives before the answer
// are skipped: the answer's prompt is newer than theirs. An error frame is
// an error.
func (c *Conn) Request(msg any, id string) (Frame, error) {
	if err := c.Send(msg); err != nil {
		return Frame{}, err
	}
	for {
		f, err := c.Read()
		if err != nil {
			return f, err
		}
		if f.Type == "error" {
			return f, fmt.Errorf("request %s: error %s", id, f.Code)
		}
		if f.answers(id) {
			return f, nil
		}
	}
}
