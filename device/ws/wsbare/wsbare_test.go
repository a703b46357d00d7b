package wsbare_test

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/floorgate/floorgate/device/ws/wsbare"
	"github.com/gorilla/websocket"
)

// TestEcho: over a real socket, what the client sends comes back unchanged.
func TestEcho(t *testing.T) {
	srv := httptest.NewServer(wsbare.Handler())
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	c, err := wsbare.Dial(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Exchange([]byte("scan 1")); err != nil {
		t.Fatal(err)
	}
	// The echo is the message itself: checked with a plain gorilla client.
	raw, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.WriteMessage(websocket.TextMessage, []byte("6901234510017"))
	if _, got, err := raw.ReadMessage(); err != nil || !bytes.Equal(got, []byte("6901234510017")) {
		t.Fatalf("echo %q, %v", got, err)
	}
}
