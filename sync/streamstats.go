package sync

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// StreamStats reads a backbone stream's state, for tools that watch it
// fill (floorgate-bench backbone): messages per subject and the leader.
type StreamStats struct {
	nc     *nats.Conn
	stream jetstream.Stream
}

// OpenStreamStats connects to the cluster (client URLs, comma-separated)
// and finds the stream.
func OpenStreamStats(ctx context.Context, urls, user, password, stream string) (*StreamStats, error) {
	nc, err := nats.Connect(urls, nats.UserInfo(user, password), nats.MaxReconnects(-1))
	if err != nil {
		return nil, fmt.Errorf("stream stats: connect %s: %w", urls, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("stream stats: %w", err)
	}
	st, err := js.Stream(ctx, stream)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("stream stats: %s: %w", stream, err)
	}
	return &StreamStats{nc: nc, stream: st}, nil
}

// Subjects counts the stream's messages per subject matching filter, and
// names its leader now.
func (s *StreamStats) Subjects(ctx context.Context, filter string) (map[string]uint64, string, error) {
	info, err := s.stream.Info(ctx, jetstream.WithSubjectFilter(filter))
	if err != nil {
		return nil, "", fmt.Errorf("stream stats: %w", err)
	}
	leader := ""
	if info.Cluster != nil {
		leader = info.Cluster.Leader
	}
	return info.State.Subjects, leader, nil
}

// Close disconnects.
func (s *StreamStats) Close() { s.nc.Close() }
