// Package wsbare is a WebSocket connection that does no work: a server
// that echoes every message and a client that sends one and reads its echo.
// It is the baseline floorgate's benchmarks measure a PDA connection
// against (resident memory per connection), so it uses gorilla/websocket
// with its defaults and nothing else.
package wsbare

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gorilla/websocket"
)

var upgrader = websocket.Upgrader{}

// Handler upgrades each request and echoes every message from the
// handler's goroutine until the connection ends.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			t, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(t, msg); err != nil {
				return
			}
		}
	})
}

// Conn is a client connection to an echoing server.
type Conn struct{ ws *websocket.Conn }

// Dial connects to url (ws://host:port/path).
func Dial(ctx context.Context, url string) (*Conn, error) {
	c, _, err := websocket.DefaultDialer.DialContext(ctx, url, nil)
	if err != nil {
		return nil, fmt.Errorf("dial bare %s: %w", url, err)
	}
	return &Conn{ws: c}, nil
}

// Exchange sends msg as a text message and reads the echo.
func (c *Conn) Exchange(msg []byte) error {
	if err := c.ws.WriteMessage(websocket.TextMessage, msg); err != nil {
		return fmt.Errorf("bare write: %w", err)
	}
	if _, _, err := c.ws.ReadMessage(); err != nil {
		return fmt.Errorf("bare read: %w", err)
	}
	return nil
}

// Close closes the connection.
func (c *Conn) Close() error { return c.ws.Close() }
